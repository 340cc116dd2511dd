import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { connectRedis } from '../../src/redis/connect.js';

/** The run's Redis (started by global-setup); a test without it fails, it is never skipped. */
export function testRedisUrl(): string {
  const url = process.env.ERRAND_TEST_REDIS_URL;
  if (!url) throw new Error('ERRAND_TEST_REDIS_URL is not set: jest global setup did not start redis-server');
  return url;
}

/** A unique key prefix per test, so tests sharing the Redis never see each other's keys. */
export function uniquePrefix(label = 't'): string {
  return `test:${label}:${randomBytes(4).toString('hex')}:`;
}

export async function testRedis(): Promise<Redis> {
  return connectRedis(testRedisUrl());
}

export async function deleteKeys(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
    cursor = next;
    if (keys.length) await redis.del(...keys);
  } while (cursor !== '0');
}

/** A unique ERRAND_INSTANCE per test: its key prefix is `<instance>:`, its containers carry it. */
export function uniqueInstance(label = 't'): string {
  return `t-${label.toLowerCase().replace(/[^a-z0-9-]/g, '')}-${randomBytes(4).toString('hex')}`;
}
