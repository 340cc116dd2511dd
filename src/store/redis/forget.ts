import { principalKey, type Agent, type AgentKeys } from '../../core/index.js';
import { agentConversationKeys, agentIndexKeys } from './agent-indexes.js';
import type { Keys } from './keys.js';
import type { ScriptedRedis } from './scripts.js';

/**
 * Deletes what Redis keeps of one agent: every key of its own (record, events, inbox, model
 * history, notification cursors, Slack and GitHub conversation state, webhook secret, lease,
 * admission claims) and its entries in the shared indexes and running sets. With `keepRecord`
 * (expiry) the record and its indexes stay, so an expired agent can still be seen until its TTL.
 */
export class RedisAgentKeys implements AgentKeys {
  constructor(
    private readonly redis: ScriptedRedis,
    private readonly keys: Keys,
  ) {}

  async forget(agent: Agent, options: { keepRecord?: boolean } = {}): Promise<void> {
    const { keys } = this;
    const owned = keys.agentScoped(agent.id).filter((key) => !options.keepRecord || key !== keys.agent(agent.id));
    for (const pattern of keys.agentScopedPatterns(agent.id)) owned.push(...(await this.scan(pattern)));
    // The agent may have moved on since the caller read it (a stop racing the forget): drop it from
    // the sets of its stored record too, so no count keeps it.
    const stored = options.keepRecord ? null : await this.redis.get(keys.agent(agent.id));
    const tx = this.redis.multi();
    tx.del(...owned);
    if (stored) for (const index of agentIndexKeys(keys, JSON.parse(stored) as Agent)) tx.zrem(index, agent.id);
    tx.zrem(keys.runningInWorkspace(agent.workspace), agent.id);
    tx.zrem(keys.runningForPerson(principalKey(agent.owner)), agent.id);
    if (!options.keepRecord) {
      for (const index of [...agentIndexKeys(keys, agent), ...agentConversationKeys(keys, agent)]) tx.zrem(index, agent.id);
    }
    await tx.exec();
  }

  private async scan(pattern: string): Promise<string[]> {
    const found: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await this.redis.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
      cursor = next;
      found.push(...batch);
    } while (cursor !== '0');
    return found;
  }
}
