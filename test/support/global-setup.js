// Jest loads global setup outside its module system, so TypeScript is imported through tsx here.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tsImport } from 'tsx/esm/api';

/** One real redis-server for the whole run; each test file takes its own key prefix. */
export default async function globalSetup() {
  if (process.env.ERRAND_TEST_REDIS_URL) return;
  const { startLocalRedis } = await tsImport('../../src/redis/local-server.ts', import.meta.url);
  const redis = await startLocalRedis({ dir: mkdtempSync(join(tmpdir(), 'errand-test-redis-')) });
  globalThis.errandTestRedis = redis;
  process.env.ERRAND_TEST_REDIS_URL = redis.url;
}
