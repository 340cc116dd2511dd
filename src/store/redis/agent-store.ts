import { ErrandError, principalKey, type ActiveCounts, agentStatuses, type Agent, type AgentPage, type AgentQuery, type AgentStatus, type AgentStore, type Clock, type Principal, type QueuePosition } from '../../core/index.js';
import { agentConversationKeys, agentIndexKeys, indexedText, keysMissingFrom, searchWords } from './agent-indexes.js';
import { expiryGraceSeconds, type Keys } from './keys.js';
import { multi, withKeys, type ScriptedRedis } from './scripts.js';

/** Bump when agentIndexKeys changes: the next start rebuilds every index from the records. */
const indexVersion = '3';
/** Candidates one search script call looks at before handing back (Redis runs one script at a time). */
const searchBudget = 4_096;
/** At most this many candidates are read and checked per step inside the search script. */
const searchChunk = 512;

const maxUpdateAttempts = 50;

export class RedisAgentStore implements AgentStore {
  constructor(
    private readonly redis: ScriptedRedis,
    private readonly keys: Keys,
    private readonly clock: Clock,
  ) {}

  async create(agent: Agent): Promise<void> {
    const indexes = [...agentIndexKeys(this.keys, agent), ...agentConversationKeys(this.keys, agent)];
    // Record and index entries in one script: a launch never leaves an agent its counts miss.
    const created = await this.redis.errandAgentCreate(
      ...withKeys([this.keys.agent(agent.id), ...indexes], JSON.stringify(agent), this.ttlMs(agent), Date.parse(agent.createdAt), agent.id),
    );
    if (created !== 1) throw new ErrandError('conflict', `agent ${agent.id} already exists`);
  }

  async get(id: string): Promise<Agent | null> {
    const raw = await this.redis.get(this.keys.agent(id));
    return raw ? (JSON.parse(raw) as Agent) : null;
  }

  async update(id: string, change: (agent: Agent) => Agent): Promise<Agent> {
    for (let attempt = 0; attempt < maxUpdateAttempts; attempt++) {
      const current = await this.get(id);
      if (!current) throw new ErrandError('not_found', `no agent ${id} (it may have expired)`);
      const changed = change(current);
      if (changed === current) return current;
      const next: Agent = { ...changed, id, version: current.version + 1, updatedAt: this.clock.now().toISOString() };
      const before = agentIndexKeys(this.keys, current);
      const after = agentIndexKeys(this.keys, next);
      const removed = keysMissingFrom(before, after);
      const added = keysMissingFrom(after, before);
      const result = await this.redis.errandAgentCas(
        ...withKeys([this.keys.agent(id), ...removed, ...added], String(current.version), JSON.stringify(next), this.ttlMs(next), removed.length, id, Date.parse(next.createdAt)),
      );
      if (result === 1) return next;
      if (result === -1) throw new ErrandError('not_found', `no agent ${id} (it may have expired)`);
      // Lost the race: back off a little, with jitter, so contending writers spread out.
      await new Promise((r) => setTimeout(r, Math.random() * Math.min(2 ** attempt, 50)));
    }
    throw new ErrandError('conflict', `agent ${id} is being changed by many writers at once; try again`);
  }

  async linkConversation(agentId: string, key: string): Promise<void> {
    const agent = await this.get(agentId);
    if (!agent) return;
    const indexKey = this.keys.agentsByConversation(key);
    const tx = multi(this.redis);
    tx.zadd(indexKey, Date.now(), agentId);
    await tx.errandExtendTtl(...withKeys([indexKey], this.ttlMs(agent))).exec();
  }

  /** The agent's rank in the workspace's `queued` index (scored by creation time) and the preparing + running count. */
  async queuePosition(agent: Pick<Agent, 'id' | 'workspace'>): Promise<QueuePosition> {
    const [rank, preparing, running] = await Promise.all([
      this.redis.zrank(this.keys.agentsByStatus(agent.workspace, 'queued'), agent.id),
      this.redis.zcard(this.keys.agentsByStatus(agent.workspace, 'preparing')),
      this.redis.zcard(this.keys.agentsByStatus(agent.workspace, 'running')),
    ]);
    return { position: (rank ?? 0) + 1, running: preparing + running };
  }

  /** How many agents are active in the workspace and for the owner: two ZCARDs, whatever the queue length. */
  async activeCounts(workspace: string, owner: Principal): Promise<ActiveCounts> {
    const [inWorkspace, ofOwner] = await Promise.all([
      this.redis.zcard(this.keys.activeAgents(workspace)),
      this.redis.zcard(this.keys.activeAgentsOfOwner(principalKey(owner))),
    ]);
    return { workspace: inWorkspace, owner: ofOwner };
  }

  /**
   * How many kept agents are in each status across workspaces, for /metrics: one ZCARD per status
   * of the global per-status indexes the record's scripts keep (no scan of records). Expired agents
   * are not counted.
   */
  async statusCounts(): Promise<Record<AgentStatus, number>> {
    const counts = await Promise.all(agentStatuses.map((status) => (status === 'expired' ? 0 : this.redis.zcard(this.keys.agentsByStatusAll(status)))));
    return Object.fromEntries(agentStatuses.map((status, i) => [status, counts[i]!])) as Record<AgentStatus, number>;
  }

  /**
   * Newest first, from the indexes: the workspace's (or owner's, or conversation's) set, and in a
   * workspace the per-status and per-word sets, paged by one script call that returns the page's
   * records (see `search`). Records are checked against the whole query.
   */
  async list(query: AgentQuery): Promise<AgentPage> {
    const limit = Math.min(Math.max(query.limit ?? 50, 1), 1000);
    const words = query.text ? searchWords(query.text) : [];
    if (query.conversationKey) return this.search([], [this.keys.agentsByConversation(query.conversationKey)], query, words, limit);
    const base = query.owner ? this.keys.agentsByOwner(principalKey(query.owner)) : query.workspace ? this.keys.agentsByWorkspace(query.workspace) : this.keys.agentsAll();
    const workspace = query.workspace;
    const statuses = [...new Set(query.status ?? [])];
    if (!workspace || (statuses.length === 0 && words.length === 0)) return this.search([], [base], query, words, limit);
    // Statuses are alternatives (any of them); the owner and every word must all hold.
    const statusSets = statuses.map((status) => this.keys.agentsByStatus(workspace, status));
    const every = [...(query.owner ? [base] : []), ...words.map((word) => this.keys.agentsByWord(workspace, word))];
    if (statusSets.length === 1) return this.search([], [...every, statusSets[0]!], query, words, limit);
    return this.search(statusSets, every, query, words, limit);
  }

  async delete(id: string): Promise<void> {
    const agent = await this.get(id);
    const tx = this.redis.multi();
    tx.del(this.keys.agent(id), this.keys.events(id), this.keys.inbox(id));
    for (const key of agent ? agentIndexKeys(this.keys, agent) : [this.keys.agentsAll()]) tx.zrem(key, id);
    await tx.exec();
  }

  /**
   * Builds the indexes from the stored records, once per index version (at start): data written
   * before a version that added an index gets it. Idempotent, so processes starting together may
   * both run it. Returns how many records were indexed.
   */
  async rebuildIndexes(): Promise<number> {
    if ((await this.redis.get(this.keys.agentIndexVersion())) === indexVersion) return 0;
    let cursor = '0';
    let indexed = 0;
    do {
      const [next, batch] = await this.redis.scan(cursor, 'MATCH', this.keys.agent('*'), 'COUNT', 500);
      cursor = next;
      if (batch.length === 0) continue;
      const records = await this.redis.mget(batch);
      const tx = multi(this.redis);
      for (const raw of records) {
        if (!raw) continue;
        const agent = JSON.parse(raw) as Agent;
        const indexes = agentIndexKeys(this.keys, agent);
        for (const key of indexes) tx.zadd(key, Date.parse(agent.createdAt), agent.id);
        tx.errandExtendTtl(...withKeys(indexes, this.ttlMs(agent)));
        indexed++;
      }
      await tx.exec();
    } while (cursor !== '0');
    await this.redis.set(this.keys.agentIndexVersion(), indexVersion);
    return indexed;
  }

  /**
   * Pages through the agents in any of `anyOf` and all of `every`, newest first from the cursor:
   * one script call per page (errandAgentSearch: walk the smallest side, ZMSCORE the others, return
   * the matches' records), records checked against the whole query. Ids whose record is gone are
   * dropped from a lone index they were read from.
   */
  private async search(anyOf: string[], every: string[], query: AgentQuery, words: string[], limit: number): Promise<AgentPage> {
    const agents: Agent[] = [];
    let max = query.cursor ? `(${query.cursor}` : '+inf';
    for (;;) {
      const reply = await this.redis.errandAgentSearch(...withKeys([...anyOf, ...every], anyOf.length, max, limit - agents.length, searchBudget, searchChunk, this.keys.agent('')));
      const next = reply.pop() ?? '';
      const gone: string[] = [];
      let cursor: string | null = null;
      for (let i = 0; i < reply.length && agents.length < limit; i += 3) {
        const [id, score, raw] = [reply[i]!, reply[i + 1]!, reply[i + 2]];
        if (!raw) {
          gone.push(id);
          continue;
        }
        const agent = JSON.parse(raw) as Agent;
        if (!matches(agent, query, words)) continue;
        agents.push(agent);
        cursor = score;
      }
      if (gone.length > 0 && anyOf.length === 0 && every.length === 1) await this.redis.zrem(every[0]!, ...gone);
      if (agents.length === limit) return { agents, nextCursor: cursor };
      if (next === '') return { agents, nextCursor: null };
      max = next;
    }
  }

  private ttlMs(agent: Agent): number {
    const left = Date.parse(agent.expiresAt) - this.clock.now().getTime();
    return Math.max(left, 0) + expiryGraceSeconds * 1000;
  }
}

function matches(agent: Agent, query: AgentQuery, words: string[]): boolean {
  if (query.workspace && agent.workspace !== query.workspace) return false;
  if (query.owner && principalKey(agent.owner) !== principalKey(query.owner)) return false;
  if (query.status && !query.status.includes(agent.status)) return false;
  if (query.repo && agent.repo?.url.toLowerCase() !== query.repo.toLowerCase() && agent.repo?.fullName?.toLowerCase() !== query.repo.toLowerCase()) return false;
  if (words.length > 0) {
    const own = new Set(searchWords(indexedText(agent)));
    if (!words.every((word) => own.has(word))) return false;
  }
  return true;
}
