import type { Redis } from 'ioredis';
import { TrackingState } from './tracking.js';

/**
 * The tracking comment of each agent in each conversation, with what it shows: kept in Redis so a
 * retry, a restart or another web process edits the same comment instead of posting a new one.
 */
export class TrackingStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly ttlSeconds: number,
  ) {}

  private key(agentId: string): string {
    return `${this.prefix}github:tracking:${agentId}`;
  }

  async get(agentId: string, conversationKey: string): Promise<TrackingState | null> {
    const raw = await this.redis.hget(this.key(agentId), conversationKey);
    if (!raw) return null;
    const parsed = TrackingState.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : null;
  }

  async set(agentId: string, conversationKey: string, state: TrackingState): Promise<void> {
    const key = this.key(agentId);
    await this.redis.multi().hset(key, conversationKey, JSON.stringify(state)).expire(key, this.ttlSeconds).exec();
  }
}
