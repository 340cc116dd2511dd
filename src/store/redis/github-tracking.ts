import type { Keys } from './keys.js';
import { multi, withKeys, type ScriptedRedis } from './scripts.js';

/**
 * The GitHub front end's tracking comments: per agent, one hash of conversation key → the
 * comment's state as the front end serialised it (it parses what it reads). The hash lives as
 * long as the agent's record; `forget` deletes it.
 */
export class RedisGitHubTracking {
  constructor(
    private readonly redis: ScriptedRedis,
    private readonly keys: Keys,
    /** Lifetime while the agent's record is not stored yet. */
    private readonly fallbackTtlSeconds: number,
  ) {}

  get(agentId: string, conversationKey: string): Promise<string | null> {
    return this.redis.hget(this.keys.githubTracking(agentId), conversationKey);
  }

  async set(agentId: string, conversationKey: string, state: string): Promise<void> {
    const key = this.keys.githubTracking(agentId);
    const tx = multi(this.redis);
    tx.hset(key, conversationKey, state);
    await tx.errandFollowAgent(...withKeys([this.keys.agent(agentId), key], this.fallbackTtlSeconds * 1000)).exec();
  }
}
