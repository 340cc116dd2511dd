import type { Redis } from 'ioredis';
import type { Keys } from './keys.js';

/**
 * Where API keys live: records by id (JSON the API front end writes and validates), an index from
 * the key's SHA-256 to its id, and last-used times. Keys are configuration: no TTL.
 */
export class RedisApiKeyRecords {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
  ) {}

  async add(id: string, hash: string, record: string): Promise<void> {
    await this.redis.multi().hset(this.keys.apiKeys(), id, record).hset(this.keys.apiKeysByHash(), hash, id).exec();
  }

  async remove(id: string, hash: string): Promise<void> {
    await this.redis.multi().hdel(this.keys.apiKeys(), id).hdel(this.keys.apiKeysByHash(), hash).hdel(this.keys.apiKeysUsed(), id).exec();
  }

  /** Every record, by id. */
  all(): Promise<Record<string, string>> {
    return this.redis.hgetall(this.keys.apiKeys());
  }

  get(id: string): Promise<string | null> {
    return this.redis.hget(this.keys.apiKeys(), id);
  }

  count(): Promise<number> {
    return this.redis.hlen(this.keys.apiKeys());
  }

  idByHash(hash: string): Promise<string | null> {
    return this.redis.hget(this.keys.apiKeysByHash(), hash);
  }

  async touch(id: string, at: string): Promise<void> {
    await this.redis.hset(this.keys.apiKeysUsed(), id, at);
  }

  /** Last-used times by id. */
  usedTimes(): Promise<Record<string, string>> {
    return this.redis.hgetall(this.keys.apiKeysUsed());
  }
}
