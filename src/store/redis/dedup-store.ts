import type { Redis } from 'ioredis';
import type { DedupStore } from '../../core/index.js';
import type { Keys } from './keys.js';

/** Slack retries for up to an hour and GitHub redeliveries can come days later: keep ids 3 days. */
const defaultTtlSeconds = 3 * 86_400;

export class RedisDedupStore implements DedupStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
  ) {}

  async claim(key: string, ttlSeconds = defaultTtlSeconds): Promise<boolean> {
    return (await this.redis.set(this.keys.dedup(key), '1', 'EX', ttlSeconds, 'NX')) === 'OK';
  }
}
