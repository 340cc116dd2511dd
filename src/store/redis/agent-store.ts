import { ErrandError, agentStatuses, conversationKey, isActive, principalKey, type Agent, type AgentPage, type AgentQuery, type AgentStatus, type AgentStore, type Clock } from '../../core/index.js';
import { expiryGraceSeconds, type Keys } from './keys.js';
import { multi, withKeys, type ScriptedRedis } from './scripts.js';

const maxUpdateAttempts = 50;

export class RedisAgentStore implements AgentStore {
  constructor(
    private readonly redis: ScriptedRedis,
    private readonly keys: Keys,
    private readonly clock: Clock,
  ) {}

  async create(agent: Agent): Promise<void> {
    const ttl = this.ttlMs(agent);
    const score = Date.parse(agent.createdAt);
    const created = await this.redis.set(this.keys.agent(agent.id), JSON.stringify(agent), 'PX', ttl, 'NX');
    if (created !== 'OK') throw new ErrandError('conflict', `agent ${agent.id} already exists`);
    const indexes = [
      this.keys.agentsAll(),
      this.keys.agentsByWorkspace(agent.workspace),
      this.keys.agentsByOwner(principalKey(agent.owner)),
      ...agent.conversations.filter((c) => c.kind !== 'api').map((c) => this.keys.agentsByConversation(conversationKey(c))),
    ];
    if (isActive(agent.status)) indexes.push(this.keys.activeAgents(agent.workspace));
    const tx = multi(this.redis);
    for (const key of indexes) tx.zadd(key, score, agent.id);
    if (agent.status !== 'expired') tx.hincrby(this.keys.agentStatusCounts(), agent.status, 1);
    // Indexes are shared: an agent extends their lifetime to its own, never shortens it.
    await tx.errandExtendTtl(...withKeys(indexes, ttl)).exec();
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
      const result = await this.redis.errandAgentCas(this.keys.agent(id), String(current.version), JSON.stringify(next), String(this.ttlMs(next)));
      if (result === 1) {
        if (isActive(next.status) !== isActive(current.status)) await this.trackActive(next);
        if (next.status !== current.status) await this.countStatus(current.status, next.status);
        return next;
      }
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

  async list(query: AgentQuery): Promise<AgentPage> {
    const limit = Math.min(Math.max(query.limit ?? 50, 1), 1000);
    const onlyActive = query.status !== undefined && query.status.length > 0 && query.status.every(isActive);
    const indexKey = query.conversationKey
      ? this.keys.agentsByConversation(query.conversationKey)
      : query.owner
        ? this.keys.agentsByOwner(principalKey(query.owner))
        : query.workspace
          ? onlyActive
            ? this.keys.activeAgents(query.workspace)
            : this.keys.agentsByWorkspace(query.workspace)
          : this.keys.agentsAll();
    const text = query.text?.toLowerCase();
    const agents: Agent[] = [];
    let max = query.cursor ? `(${query.cursor}` : '+inf';
    const batch = Math.max(limit * 2, 50);
    for (;;) {
      const page = await this.redis.zrevrangebyscore(indexKey, max, '-inf', 'WITHSCORES', 'LIMIT', 0, batch);
      if (page.length === 0) return { agents, nextCursor: null };
      const ids = page.filter((_, i) => i % 2 === 0);
      const records = await this.redis.mget(ids.map((id) => this.keys.agent(id)));
      const gone: string[] = [];
      for (let i = 0; i < ids.length; i++) {
        const raw = records[i];
        const score = page[i * 2 + 1] as string;
        if (!raw) {
          gone.push(ids[i] as string);
          continue;
        }
        const agent = JSON.parse(raw) as Agent;
        if (matches(agent, query, text)) agents.push(agent);
        if (agents.length === limit) {
          if (gone.length) await this.redis.zrem(indexKey, ...gone);
          return { agents, nextCursor: score };
        }
      }
      if (gone.length) await this.redis.zrem(indexKey, ...gone);
      if (ids.length < batch) return { agents, nextCursor: null };
      max = `(${page[page.length - 1]}`;
    }
  }

  async delete(id: string): Promise<void> {
    const agent = await this.get(id);
    if (agent) await this.countStatus(agent.status, null);
    await this.redis.del(this.keys.agent(id), this.keys.events(id), this.keys.inbox(id));
    await this.redis.zrem(this.keys.agentsAll(), id);
  }

  /**
   * How many kept agents are in each status, from counters moved on every status change: cheap
   * enough for every metrics scrape (no scan of the records). Expired agents are not counted.
   */
  async statusCounts(): Promise<Record<AgentStatus, number>> {
    const raw = await this.redis.hgetall(this.keys.agentStatusCounts());
    return Object.fromEntries(agentStatuses.map((status) => [status, status === 'expired' ? 0 : Math.max(Number(raw[status] ?? 0), 0)])) as Record<AgentStatus, number>;
  }

  private async countStatus(from: AgentStatus | null, to: AgentStatus | null): Promise<void> {
    const tx = this.redis.multi();
    if (from && from !== 'expired') tx.hincrby(this.keys.agentStatusCounts(), from, -1);
    if (to && to !== 'expired') tx.hincrby(this.keys.agentStatusCounts(), to, 1);
    await tx.exec();
  }

  /** Keeps the workspace's active index in step with the agent's status (records are still filtered). */
  private async trackActive(agent: Agent): Promise<void> {
    const key = this.keys.activeAgents(agent.workspace);
    if (isActive(agent.status)) {
      const tx = multi(this.redis);
      tx.zadd(key, Date.parse(agent.createdAt), agent.id);
      await tx.errandExtendTtl(...withKeys([key], this.ttlMs(agent))).exec();
    } else {
      await this.redis.zrem(key, agent.id);
    }
  }

  private ttlMs(agent: Agent): number {
    const left = Date.parse(agent.expiresAt) - this.clock.now().getTime();
    return Math.max(left, 0) + expiryGraceSeconds * 1000;
  }
}

function matches(agent: Agent, query: AgentQuery, text: string | undefined): boolean {
  if (query.workspace && agent.workspace !== query.workspace) return false;
  if (query.owner && principalKey(agent.owner) !== principalKey(query.owner)) return false;
  if (query.status && !query.status.includes(agent.status)) return false;
  if (query.repo && agent.repo?.url.toLowerCase() !== query.repo.toLowerCase() && agent.repo?.fullName?.toLowerCase() !== query.repo.toLowerCase()) return false;
  if (text) {
    const haystack = `${agent.title}\n${agent.prompt}\n${agent.repo?.url ?? ''}\n${agent.branch}`.toLowerCase();
    if (!text.split(/\s+/).every((word) => haystack.includes(word))) return false;
  }
  return true;
}
