/**
 * What API v1 and rate limits cost per request, against baselines measured in the same run on the
 * same Redis: `POST /v1/agents` (launch + run record) against `POST /v0/agents` (launch), and
 * `GET /v1/me` with the per-key limiter on (one Redis round trip more) against the same with it off.
 *
 *   npx tsx bench/api-v1.ts [requests=300] [concurrency=8]
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { AgentService } from '../src/core/index.js';
import { createApiFrontend } from '../src/frontends/http/api/index.js';
import { startHttpServer } from '../src/frontends/http/server.js';
import { BullRunQueue } from '../src/queue/run-queue.js';
import { WebhookQueue } from '../src/queue/webhook-queue.js';
import { connectRedis } from '../src/redis/connect.js';
import { startLocalRedis } from '../src/redis/local-server.js';
import { Scrubber } from '../src/redact/scrubber.js';
import { EnvKeyProvider } from '../src/secrets/index.js';
import { createRedisStores } from '../src/store/redis/index.js';
import { percentile, reportMetric, round } from './support/report.js';

const requests = Number(process.argv[2] ?? 300);
const concurrency = Number(process.argv[3] ?? 8);

const dir = mkdtempSync(join(tmpdir(), 'errand-bench-'));
const localRedis = await startLocalRedis({ dir });
const redis = await connectRedis(localRedis.url);
const log = pino({ level: 'silent' });
const clock = { now: () => new Date() };
const keyProvider = new EnvKeyProvider({ ERRAND_MASTER_KEY: randomBytes(32).toString('hex') });
const stores = createRedisStores(redis, { prefix: 'bench:', clock, retentionDays: 1, keyProvider, scrubber: new Scrubber() });
const queue = new BullRunQueue(redis, 'bench-runs', 'bench');
const agents = new AgentService({ ...stores, queue, clock, log, defaultModel: 'openai:bench' });
const webhooks = new WebhookQueue(redis, 'bench', { attempts: 1, backoffMs: 10 });

async function server(rateLimit?: { points: number; durationSeconds: number }) {
  const api = createApiFrontend({ agents, stores, webhooks, models: null, scrubber: new Scrubber(), log, clock, ...(rateLimit ? { rateLimit } : {}) });
  const http = await startHttpServer({ host: '127.0.0.1', port: 0, log, mounts: [api.mount] });
  return { api, http };
}
const open = await server();
const limited = await server({ points: 1_000_000, durationSeconds: 60 });
await stores.settings.set('api', { ...(await stores.settings.get('api')), maxConcurrentPerWorkspace: 1000, maxConcurrentPerPerson: 1000 });
const key = (await open.api.keys.create({ name: 'bench' })).key;
const headers = { authorization: `Basic ${Buffer.from(`${key}:`).toString('base64')}`, 'content-type': 'application/json' };

async function timed(url: string, init: RequestInit, expect: number): Promise<number> {
  const started = performance.now();
  const response = await fetch(url, init);
  await response.arrayBuffer();
  if (response.status !== expect) throw new Error(`${url} answered ${response.status}`);
  return performance.now() - started;
}

async function load(n: number, one: (i: number) => Promise<number>): Promise<number[]> {
  const times: number[] = [];
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < n) times.push(await one(next++));
  }));
  return times.sort((a, b) => a - b);
}

const launchV0 = (i: number) => timed(`${open.http.url}/v0/agents`, { method: 'POST', headers, body: JSON.stringify({ prompt: { text: `task ${i}` }, source: { repository: 'https://git.example.com/acme/web.git' } }) }, 201);
const launchV1 = (i: number) => timed(`${open.http.url}/v1/agents`, { method: 'POST', headers, body: JSON.stringify({ prompt: { text: `task ${i}` }, repos: [{ url: 'https://git.example.com/acme/web.git' }] }) }, 201);
const meOpen = () => timed(`${open.http.url}/v1/me`, { headers }, 200);
const meLimited = () => timed(`${limited.http.url}/v1/me`, { headers }, 200);

// Warm up: JIT, connection pools, Lua scripts.
await load(30, launchV0);
await load(30, launchV1);
await load(30, meOpen);
await load(30, meLimited);

// Rows alternate in rounds, so drift in the machine's load (other work on it) hits both alike.
const rounds = 5;
const results = { v0Launch: [] as number[], v1Launch: [] as number[], meOpen: [] as number[], meLimited: [] as number[] };
for (let r = 0; r < rounds; r++) {
  const n = Math.ceil(requests / rounds);
  results.v0Launch.push(...(await load(n, launchV0)));
  results.v1Launch.push(...(await load(n, launchV1)));
  results.meOpen.push(...(await load(n, meOpen)));
  results.meLimited.push(...(await load(n, meLimited)));
}
for (const times of Object.values(results)) times.sort((a, b) => a - b);

const line = (metric: string, goal: string, times: number[], base: number[], baseName: string, maxRatio: number) => {
  const median = percentile(times, 50);
  const baseline = percentile(base, 50);
  const ratio = median / baseline;
  console.log(`  ${metric.padEnd(34)} median ${median.toFixed(1).padStart(6)} ms  p99 ${percentile(times, 99).toFixed(1).padStart(6)} ms  ÷ ${baseName} ${ratio.toFixed(2)}`);
  reportMetric({ metric, goal, unit: 'ms', median: round(median), p99: round(percentile(times, 99)), n: times.length, baseline: round(baseline), baselineName: baseName, ratio: round(ratio), pass: ratio <= maxRatio });
};
console.log(`API v1 and rate limits, ${requests} requests per row, ${concurrency} concurrent (shared machine)`);
line('POST /v1/agents (launch + run)', 'median ≤ 1.5 × POST /v0/agents', results.v1Launch, results.v0Launch, 'POST /v0/agents', 1.5);
line('GET /v1/me with rate limit', 'median ≤ 1.5 × without', results.meLimited, results.meOpen, 'GET /v1/me without', 1.5);

for (const s of [open, limited]) {
  await s.http.close();
  await s.api.close();
}
await queue.close();
await webhooks.close();
await redis.quit();
await localRedis.stop();
rmSync(dir, { recursive: true, force: true });
