import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from '@jest/globals';
import pino from 'pino';
import { loadConfig } from '../../src/config.js';
import { ApiKeyStore } from '../../src/frontends/http/api/index.js';
import { startErrand, type Errand } from '../../src/main.js';
import { Scrubber } from '../../src/redact/scrubber.js';
import { startLocalRedis, type LocalRedis } from '../../src/redis/local-server.js';
import { sample } from '../support/prometheus.js';
import { deleteKeys, testRedis, testRedisUrl, uniqueInstance } from '../support/redis.js';
import { waitFor } from '../support/wait.js';

const model = { ERRAND_MODEL: 'openai:m', OPENAI_BASE_URL: 'http://127.0.0.1:9/v1', OPENAI_API_KEY: 'sk-test-unused-0123456789' };
const metricsToken = 'metrics-token-0123456789abcdef';

describe('health and metrics endpoints of a running Errand', () => {
  const started: Errand[] = [];
  const instances: string[] = [];
  let redis: LocalRedis | null = null;
  const dir = mkdtempSync(join(tmpdir(), 'errand-health-'));
  const start = async (env: Record<string, string>) => {
    const instance = uniqueInstance('health');
    instances.push(instance);
    const errand = await startErrand(loadConfig({ PORT: '0', ERRAND_HEALTH_PORT: '0', ...model, ...env }), { log: pino({ level: 'silent' }), scrubber: new Scrubber(), instance });
    started.push(errand);
    return errand;
  };
  afterEach(async () => {
    for (const errand of started.splice(0)) await errand.stop();
    await redis?.stop();
    redis = null;
    const cleaner = await testRedis();
    for (const instance of instances.splice(0)) await deleteKeys(cleaner, `${instance}:`);
    await cleaner.quit();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('serves /metrics only with ERRAND_METRICS_TOKEN, and its counters and gauges move with a launch', async () => {
    const errand = await start({ REDIS_URL: testRedisUrl(), ERRAND_ROLE: 'web', ERRAND_METRICS_TOKEN: metricsToken });
    const url = errand.http!.url;
    expect((await fetch(`${url}/metrics`)).status).toBe(401);
    expect((await fetch(`${url}/metrics`, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
    const scrape = async () => {
      const response = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${metricsToken}` } });
      expect(response.status).toBe(200);
      return response.text();
    };
    const before = await scrape();
    expect(sample(before, 'errand_launches_total', { frontend: 'api' })).toBe(0);
    expect(sample(before, 'errand_agents', { status: 'queued' })).toBe(0);

    const { key } = await new ApiKeyStore(errand.stores.apiKeys, errand.clock).create({ name: 'alice' });
    const launched = await fetch(`${url}/v0/agents`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: { text: 'fix the flaky login test' }, source: { repository: 'https://git.example.com/acme/web.git', ref: 'main' } }),
    });
    expect(launched.status).toBe(201);

    const after = await scrape();
    expect(sample(after, 'errand_launches_total', { frontend: 'api', role: 'web' })).toBe(1);
    expect(sample(after, 'errand_agents', { status: 'queued' })).toBe(1);
    expect(sample(after, 'errand_queue_jobs', { queue: 'errand-runs', state: 'waiting' })).toBe(1);
    expect(sample(after, 'errand_http_ack_seconds_count', { frontend: 'api', status: '2xx' })).toBeGreaterThanOrEqual(1);
    expect(after).toContain('errand_process_cpu_seconds_total');
    // The token is a secret like any other: never in a log line or an answer.
    expect(after).not.toContain(metricsToken);
  });

  it('serves /metrics to loopback clients when no token is set', async () => {
    const errand = await start({ REDIS_URL: testRedisUrl(), ERRAND_ROLE: 'web' });
    const response = await fetch(`${errand.http!.url}/metrics`);
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('# TYPE errand_launches_total counter');
  });

  it('the worker role answers /healthz, /readyz and /metrics on its own port', async () => {
    const errand = await start({ REDIS_URL: testRedisUrl(), ERRAND_ROLE: 'worker' });
    expect(errand.http).toBeNull();
    const url = errand.health!.url;
    expect(await (await fetch(`${url}/healthz`)).json()).toEqual({ ok: true });
    const ready = await fetch(`${url}/readyz`);
    expect(await ready.json()).toEqual({ ready: true, redis: 'up', queue: 'up', docker: 'up' });
    expect(ready.status).toBe(200);
    expect(sample(await (await fetch(`${url}/metrics`)).text(), 'errand_queue_jobs', { queue: 'errand-runs', state: 'active', role: 'worker' })).toBe(0);
  });

  it('/readyz answers 503 naming Docker when the worker cannot reach its Docker engine', async () => {
    const errand = await start({ REDIS_URL: testRedisUrl(), ERRAND_ROLE: 'worker', DOCKER_HOST: `unix://${join(dir, 'no-docker.sock')}` });
    const ready = await fetch(`${errand.health!.url}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toEqual({ ready: false, redis: 'up', queue: 'up', docker: 'down', down: ['docker'], message: 'not ready: docker is down' });
    expect((await fetch(`${errand.health!.url}/healthz`)).status).toBe(200);
  });

  it('/readyz answers 503 naming Redis while Redis is down, on the worker role too, and 200 once it is back', async () => {
    redis = await startLocalRedis({ dir: join(dir, 'redis'), appendOnly: false });
    const errand = await start({ REDIS_URL: redis.url, ERRAND_ROLE: 'worker' });
    const url = errand.health!.url;
    const readyz = async () => {
      const response = await fetch(`${url}/readyz`);
      return { status: response.status, body: (await response.json()) as { down?: string[]; message?: string } };
    };
    expect((await readyz()).status).toBe(200);
    const port = redis.port;
    await redis.stop();
    await waitFor(async () => (await readyz()).status === 503, { what: '/readyz to report Redis down' });
    const down = await readyz();
    expect(down.body.down).toContain('redis');
    expect(down.body.message).toContain('redis');
    redis = await startLocalRedis({ dir: join(dir, 'redis'), appendOnly: false, port });
    await waitFor(async () => (await readyz()).status === 200, { timeoutMs: 20_000, what: '/readyz to report Redis up again' });
  });
});
