import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { Redis } from 'ioredis';
import { loadConfig } from '../src/config.js';
import { banner, startErrand } from '../src/main.js';
import { startLocalRedis, type LocalRedis } from '../src/redis/local-server.js';
import { checkRedisForProduction } from '../src/redis/production-checks.js';
import { Scrubber } from '../src/redact/scrubber.js';
import { uniqueInstance } from './support/redis.js';

/** Redis set up to lose data (no persistence, evicting keys), and what Errand says about it at start. */
describe('production checks on Redis at start', () => {
  const dir = mkdtempSync(join(tmpdir(), 'errand-redis-checks-'));
  let server: LocalRedis;
  let redis: Redis;
  beforeAll(async () => {
    server = await startLocalRedis({ dir, appendOnly: false });
    redis = new Redis(server.url);
  });
  afterAll(async () => {
    redis?.disconnect();
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  const set = async (settings: Record<string, string>) => {
    for (const [name, value] of Object.entries(settings)) await redis.config('SET', name, value);
  };
  const start = (env: Record<string, string>) =>
    startErrand(loadConfig({ REDIS_URL: server.url, PORT: '0', ERRAND_ROLE: 'web', ERRAND_DATA_DIR: dir, ...env }), {
      log: pino({ level: 'silent' }),
      scrubber: new Scrubber(),
      instance: uniqueInstance('checks'),
    });

  it('names an evicting policy and missing persistence, each with its fix', async () => {
    await set({ 'maxmemory-policy': 'allkeys-lru', appendonly: 'no', save: '' });
    const problems = await checkRedisForProduction(redis);
    expect(problems.map((p) => p.setting)).toEqual(['maxmemory-policy', 'persistence']);
    expect(problems[0]!.message).toContain('maxmemory-policy noeviction');
    expect(problems[1]!.message).toContain('appendonly yes');
  });

  it('accepts noeviction with AOF, or with RDB snapshots', async () => {
    await set({ 'maxmemory-policy': 'noeviction', appendonly: 'yes', save: '' });
    expect(await checkRedisForProduction(redis)).toEqual([]);
    await set({ appendonly: 'no', save: '3600 1' });
    expect(await checkRedisForProduction(redis)).toEqual([]);
  });

  it('starts with a loud warning in the banner by default, and refuses to start with ERRAND_STRICT=true', async () => {
    await set({ 'maxmemory-policy': 'volatile-lru', appendonly: 'no', save: '' });
    const errand = await start({});
    try {
      expect(errand.redisWarnings).toHaveLength(2);
      expect(banner(errand)).toMatch(/WARNING\s+Redis evicts keys.*volatile-lru/);
      expect(banner(errand)).toMatch(/WARNING\s+Redis does not persist/);
    } finally {
      await errand.stop();
    }
    await expect(start({ ERRAND_STRICT: 'true' })).rejects.toMatchObject({
      code: 'not_configured',
      message: expect.stringMatching(/ERRAND_STRICT is on and Redis at .* can lose Errand's state:\n {2}- Redis evicts keys/),
    });
  });
});
