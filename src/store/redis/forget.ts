import { conversationKey, principalKey, type Agent, type AgentKeys } from '../../core/index.js';
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
    const tx = this.redis.multi();
    tx.del(...owned);
    tx.zrem(keys.runningInWorkspace(agent.workspace), agent.id);
    tx.zrem(keys.runningForPerson(principalKey(agent.owner)), agent.id);
    if (!options.keepRecord) {
      const indexes = [
        keys.agentsAll(),
        keys.agentsByWorkspace(agent.workspace),
        keys.activeAgents(agent.workspace),
        keys.agentsByOwner(principalKey(agent.owner)),
        ...agent.conversations.filter((c) => c.kind !== 'api').map((c) => keys.agentsByConversation(conversationKey(c))),
      ];
      for (const index of indexes) tx.zrem(index, agent.id);
      // The record's own status, if it is still there: forgetting twice must not count it out twice.
      const kept = await this.redis.get(keys.agent(agent.id));
      const status = kept ? (JSON.parse(kept) as Agent).status : 'expired';
      if (status !== 'expired') tx.hincrby(keys.agentStatusCounts(), status, -1);
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
