import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import pino from 'pino';
import { loadConfig } from '../src/config.js';
import { ApiKeyStore } from '../src/frontends/http/api/index.js';
import { startErrand, type Errand } from '../src/main.js';
import { Scrubber } from '../src/redact/scrubber.js';
import { startLocalRedis, type LocalRedis } from '../src/redis/local-server.js';
import { waitFor } from './support/wait.js';

describe('Redis down while Errand serves requests', () => {
  let redis: LocalRedis | null = null;
  let errand: Errand | null = null;
  const dir = mkdtempSync(join(tmpdir(), 'errand-outage-'));
  afterEach(async () => {
    await errand?.stop();
    await redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses requests at once with 503, says so on /readyz, and takes them again once Redis is back, losing nothing', async () => {
    redis = await startLocalRedis({ dir, appendOnly: true });
    const config = loadConfig({ REDIS_URL: redis.url, ERRAND_ROLE: 'web', PORT: '0', ERRAND_MODEL: 'openai:m', OPENAI_BASE_URL: 'http://127.0.0.1:9/v1' });
    errand = await startErrand(config, { log: pino({ level: 'silent' }), scrubber: new Scrubber(), instance: 'outage' });
    const { key } = await new ApiKeyStore(errand.stores.apiKeys, errand.clock).create({ name: 'alice' });
    const url = errand.http!.url;
    const launch = () =>
      fetch(`${url}/v0/agents`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ prompt: { text: 'fix the flaky login test' }, source: { repository: 'https://git.example.com/acme/web.git', ref: 'main' } }),
      });
    const ready = async () => (await fetch(`${url}/readyz`)).status;

    const before = await launch();
    expect(before.status).toBe(201);
    const beforeId = ((await before.json()) as { id: string }).id;
    expect(await ready()).toBe(200);

    await redis.stop();
    await waitFor(async () => (await ready()) === 503, { what: '/readyz to report Redis down' });
    expect(await (await fetch(`${url}/readyz`)).json()).toMatchObject({ ready: false, redis: 'down', message: expect.stringContaining('redis') });
    expect((await fetch(`${url}/healthz`)).status).toBe(200);

    const startedAt = Date.now();
    const refused = await launch();
    const tookMs = Date.now() - startedAt;
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('10');
    const body = (await refused.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('unavailable');
    expect(body.error.message).toContain('cannot reach its database (Redis)');
    // The bound: under a second (it used to answer 201 after 19 s).
    expect(tookMs).toBeLessThan(1_000);

    redis = await startLocalRedis({ dir, appendOnly: true, port: redis.port });
    await waitFor(async () => (await ready()) === 200, { timeoutMs: 20_000, what: '/readyz to report Redis up again' });
    const after = await launch();
    expect(after.status).toBe(201);
    const afterId = ((await after.json()) as { id: string }).id;
    for (const id of [beforeId, afterId]) {
      const read = await fetch(`${url}/v0/agents/${id}`, { headers: { authorization: `Bearer ${key}` } });
      expect(read.status).toBe(200);
    }
    expect(await errand.queue.queue.getJob(beforeId)).toBeDefined();
    expect((await errand.agents.list({ workspace: 'api' })).agents).toHaveLength(2);
  });
});
