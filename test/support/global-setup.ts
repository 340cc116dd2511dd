import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalRedis, type LocalRedis } from '../../src/redis/local-server.js';

declare global {
  var errandTestRedis: LocalRedis | undefined;
}

/** One real redis-server for the whole run; each test file takes its own key prefix. */
export default async function globalSetup(): Promise<void> {
  if (process.env.ERRAND_TEST_REDIS_URL) return;
  const redis = await startLocalRedis({ dir: mkdtempSync(join(tmpdir(), 'errand-test-redis-')) });
  globalThis.errandTestRedis = redis;
  process.env.ERRAND_TEST_REDIS_URL = redis.url;
}
