/**
 * How fast a launch is refused while Redis is down (the bound: under a second; it used to
 * answer 201 after 19 s). Starts Errand's web role on a local Redis, measures N launches through the
 * API while Redis is up (the baseline), stops Redis, measures N refused launches, and reports the
 * medians and their ratio.
 *
 *   npx tsx bench/redis-outage.ts [requests=50]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { loadConfig } from '../src/config.js';
import { ApiKeyStore } from '../src/frontends/http/api/index.js';
import { startErrand } from '../src/main.js';
import { Scrubber } from '../src/redact/scrubber.js';
import { startLocalRedis } from '../src/redis/local-server.js';
import { percentile, reportMetric, round } from './support/report.js';

const requests = Number(process.argv[2] ?? 50);
const dir = mkdtempSync(join(tmpdir(), 'errand-bench-outage-'));
const redis = await startLocalRedis({ dir });
// A launch must pass its checks while Redis is up: a model with an endpoint, and a GitHub App for
// owner/name repositories (the web role makes no GitHub call).
const errand = await startErrand(loadConfig({
  REDIS_URL: redis.url, ERRAND_ROLE: 'web', PORT: '0', ERRAND_MODEL: 'openai:m', OPENAI_BASE_URL: 'http://127.0.0.1:9/v1',
  GITHUB_APP_ID: '1', GITHUB_PRIVATE_KEY: 'not-used-in-the-web-role', GITHUB_WEBHOOK_SECRET: 'not-used', ERRAND_DATA_DIR: dir, LOG_LEVEL: 'silent',
}), {
  log: pino({ level: 'silent' }), scrubber: new Scrubber(), instance: 'bench-outage',
});
const { key } = await new ApiKeyStore(errand.stores.apiKeys, errand.clock).create({ name: 'bench' });
const url = errand.http!.url;

async function launches(expected: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < requests; i++) {
    const started = process.hrtime.bigint();
    const response = await fetch(`${url}/v0/agents`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: { text: 'bench' }, source: { repository: 'acme/web', ref: 'main' } }),
    });
    const body = await response.text();
    times.push(Number(process.hrtime.bigint() - started) / 1e6);
    if (response.status !== expected) throw new Error(`expected ${expected}, got ${response.status}: ${body}`);
  }
  return times;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
try {
  const up = await launches(201);
  await redis.stop();
  while (errand.redis.status === 'ready') await new Promise((r) => setTimeout(r, 10));
  const down = await launches(503);
  console.log(`launch while Redis is up:     median ${median(up).toFixed(2)} ms (${requests} requests)`);
  console.log(`launch while Redis is down:   median ${median(down).toFixed(2)} ms, max ${Math.max(...down).toFixed(2)} ms (503)`);
  console.log(`ratio down/up: ${(median(down) / median(up)).toFixed(2)}`);
  const sorted = [...down].sort((a, b) => a - b);
  reportMetric({
    metric: 'launch refused while Redis is down', goal: '503 in < 1 s', unit: 'ms', median: round(median(down)), p99: round(percentile(sorted, 99)), n: down.length,
    baseline: round(median(up)), baselineName: 'launch while Redis is up', ratio: round(median(down) / median(up)), pass: percentile(sorted, 99) < 1000,
  });
} catch (error) {
  console.error(error);
  process.exitCode = 1;
} finally {
  await errand.stop();
  await redis.stop();
  rmSync(dir, { recursive: true, force: true });
  // Connections that never reached Redis again keep retrying in the background: `npm start` exits
  // once stop() resolves, and so does this.
  process.exit(process.exitCode ?? 0);
}
