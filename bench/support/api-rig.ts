/**
 * Errand's HTTP API on its own local Redis, in this process, as the API benchmarks use it: the
 * real core, the real store and queue, an admin key for calls. `close` removes everything.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { AgentService, systemClock } from '../../src/core/index.js';
import { createApiFrontend } from '../../src/frontends/http/api/index.js';
import { warmHttp, warmLaunchPath, warmStoredLaunches } from '../../src/frontends/warm-up.js';
import { startHttpServer, type HttpMount, type RunningHttpServer } from '../../src/frontends/http/server.js';
import { BullRunQueue } from '../../src/queue/run-queue.js';
import { WebhookQueue } from '../../src/queue/webhook-queue.js';
import { warmQueuePath } from '../../src/queue/warm-up-queue.js';
import { Scrubber } from '../../src/redact/scrubber.js';
import { connectRedis } from '../../src/redis/connect.js';
import { startLocalRedis } from '../../src/redis/local-server.js';
import { EnvKeyProvider } from '../../src/secrets/index.js';
import { createRedisStores, type RedisStores } from '../../src/store/redis/index.js';

export interface ApiRig {
  url: string;
  stores: RedisStores;
  agents: AgentService;
  http: RunningHttpServer;
  /** Calls the API with the admin key; resolves to the status and parsed body. */
  call(method: string, path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }>;
  close(): Promise<void>;
}

/**
 * `warmUp`: warm the launch path at start, as Errand's web role does (createFrontends);
 * BENCH_NO_SCRATCH_WARM_UP=1 leaves out the scratch-space launches (for A/B runs).
 */
export async function startApiRig(extraMounts: HttpMount[] = [], options: { warmUp?: boolean } = {}): Promise<ApiRig> {
  const log = pino({ level: 'silent' });
  const scrubber = new Scrubber();
  const dir = mkdtempSync(join(tmpdir(), 'errand-bench-'));
  const redisServer = await startLocalRedis({ dir });
  const redis = await connectRedis(redisServer.url);
  const stores = createRedisStores(redis, { prefix: 'bench:', clock: systemClock, retentionDays: 1, keyProvider: new EnvKeyProvider({ ERRAND_MASTER_KEY: randomBytes(32).toString('hex') }), scrubber });
  const queue = new BullRunQueue(redis, 'runs', 'bench');
  const agents = new AgentService({ ...stores, queue, clock: systemClock, log, defaultModel: 'openai:bench' });
  const webhooks = new WebhookQueue(redis, 'bench');
  const api = createApiFrontend({ agents, stores, webhooks, models: null, scrubber, log, clock: systemClock });
  await api.start();
  if (options.warmUp) {
    await warmLaunchPath({ agents, warmQueue: () => warmQueuePath(redis, 'bench', 50), scrubber, log });
    if (process.env['BENCH_NO_SCRATCH_WARM_UP'] !== '1') await warmStoredLaunches({ redis, instancePrefix: 'bench:', clock: systemClock, scrubber, log });
  }
  const http = await startHttpServer({ host: '127.0.0.1', port: 0, log, mounts: [api.mount, ...extraMounts] });
  if (options.warmUp) await warmHttp(http.url, log);
  const key = (await api.keys.create({ name: 'bench', admin: true })).key;
  await stores.settings.set('api', { ...(await stores.settings.get('api')), maxConcurrentPerWorkspace: 1000, maxConcurrentPerPerson: 1000 });
  return {
    url: http.url, stores, agents, http,
    async call(method, path, body) {
      const response = await fetch(`${http.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${key}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      const text = await response.text();
      return { status: response.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
    },
    async close() {
      await http.close();
      await api.close();
      await webhooks.close();
      await queue.close();
      await redis.quit();
      await redisServer.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The body of one launch through the API. */
export const launchBody = (text: string) => ({ prompt: { text }, source: { repository: 'acme/web', ref: 'main' }, target: { autoCreatePr: false } });
