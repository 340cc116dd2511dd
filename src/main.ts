import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Docker from 'dockerode';
import type { Redis } from 'ioredis';
import { integrations, type Config } from './config.js';
import { AgentService, ErrandError, NotifyDispatcher, systemClock, type Clock, type Notifier } from './core/index.js';
import { createApiFrontend } from './frontends/http/api/index.js';
import { createDashboard } from './frontends/dashboard/index.js';
import { startHttpServer, type HttpMount, type RunningHttpServer } from './frontends/http/server.js';
import { ProviderRegistry } from './engine/providers/index.js';
import type { Logger } from './logger.js';
import { BullRunQueue } from './queue/run-queue.js';
import { RunWorker, type JobHandler } from './queue/run-worker.js';
import { connectRedis, redactUrl } from './redis/connect.js';
import { startLocalRedis, type LocalRedis } from './redis/local-server.js';
import type { Scrubber } from './redact/scrubber.js';
import { keyProviderFromConfig } from './secrets/index.js';
import { createRedisStores, type RedisStores } from './store/redis/index.js';

export interface ErrandDeps {
  log: Logger;
  scrubber: Scrubber;
  clock?: Clock;
  /** Key prefix for Redis and the queue (tests give each run its own). */
  prefix?: string;
}

/** Everything a front end or the worker may need, built once here and passed down. */
export interface Errand {
  config: Config;
  redis: Redis;
  stores: RedisStores;
  queue: BullRunQueue;
  agents: AgentService;
  http: RunningHttpServer | null;
  worker: RunWorker | null;
  dispatcher: NotifyDispatcher | null;
  docker: { reachable: boolean; detail: string };
  redisUrl: string;
  /** The API's line in the banner (how to get a first key), when the web role runs. */
  apiHint: string | null;
  stop(): Promise<void>;
}

/** The one composition root: wires adapters for the role (`all`, `web`, `worker`). */
export async function startErrand(config: Config, deps: ErrandDeps): Promise<Errand> {
  const { log } = deps;
  const clock = deps.clock ?? systemClock;
  const prefix = deps.prefix ?? 'errand:';
  const cleanups: (() => Promise<void>)[] = [];
  try {
    let localRedis: LocalRedis | null = null;
    let redisUrl = config.redisUrl;
    if (!redisUrl) {
      if (!config.redisAutostart) throw new ErrandError('not_configured', 'REDIS_URL is not set and ERRAND_REDIS_AUTOSTART is off: set REDIS_URL');
      localRedis = await startLocalRedis({ dir: join(config.dataDir, 'redis'), appendOnly: true });
      cleanups.push(() => localRedis!.stop());
      redisUrl = localRedis.url;
      // The CLI on this host (`errand keys …`) finds the local Redis through this file.
      const urlFile = localRedisUrlFile(config.dataDir);
      writeFileSync(urlFile, `${redisUrl}\n`, { mode: 0o600 });
      cleanups.push(async () => rmSync(urlFile, { force: true }));
    }
    const redis = await connectRedis(redisUrl);
    cleanups.unshift(async () => void (await redis.quit().catch(() => redis.disconnect())));
    redis.on('error', (error) => log.warn({ err: error }, 'redis connection error; reconnecting'));

    const stores = createRedisStores(redis, {
      prefix, clock, retentionDays: config.retentionDays, admins: config.admins, keyProvider: keyProviderFromConfig(config), scrubber: deps.scrubber,
    });
    const queue = new BullRunQueue(redis, undefined, prefix.replace(/:$/, ''));
    cleanups.unshift(() => queue.close());
    const agents = new AgentService({ ...stores, queue, clock, log, defaultModel: config.defaultModel ?? null });
    const docker = await pingDocker(config);

    const errand: Errand = {
      config, redis, stores, queue, agents, http: null, worker: null, dispatcher: null, docker, redisUrl, apiHint: null,
      stop: async () => {
        for (const cleanup of cleanups.splice(0)) await cleanup().catch((error) => log.warn({ err: error }, 'shutdown step failed'));
      },
    };

    if (config.role !== 'web') {
      const worker = new RunWorker({
        connection: redis,
        handler: createJobHandler(errand),
        stops: stores.stops,
        log,
        concurrency: config.workerConcurrency,
        prefix: prefix.replace(/:$/, ''),
      });
      await worker.start();
      errand.worker = worker;
      cleanups.unshift(() => worker.close());
    }
    if (config.role !== 'worker') {
      const frontends = createFrontends(errand, { log, scrubber: deps.scrubber, clock, prefix });
      await frontends.start();
      cleanups.unshift(() => frontends.stop());
      const dispatcher = new NotifyDispatcher({ ...stores, notifiers: frontends.notifiers, log });
      await dispatcher.start();
      errand.dispatcher = dispatcher;
      cleanups.unshift(() => dispatcher.close());
      const http = await startHttpServer({ host: config.host, port: config.port, log, mounts: frontends.mounts });
      errand.http = http;
      cleanups.unshift(() => http.close());
      errand.apiHint = await frontends.bannerLine();
    }
    log.info({ role: config.role, redis: redactUrl(redisUrl), localRedis: Boolean(localRedis), http: errand.http?.url, docker: docker.reachable }, 'errand started');
    return errand;
  } catch (error) {
    for (const cleanup of cleanups) await cleanup().catch(() => undefined);
    throw error;
  }
}

interface Frontends {
  mounts: HttpMount[];
  notifiers: Notifier[];
  start(): Promise<void>;
  stop(): Promise<void>;
  bannerLine(): Promise<string | null>;
}

/** Front ends on the HTTP server and their notifiers; each one is on only when configured. */
function createFrontends(errand: Errand, deps: { log: Logger; scrubber: Scrubber; clock: Clock; prefix: string }): Frontends {
  const models = new ProviderRegistry({ config: errand.config, log: deps.log });
  for (const key of models.apiKeys()) deps.scrubber.add(key);
  const api = createApiFrontend({
    redis: errand.redis,
    prefix: deps.prefix,
    agents: errand.agents,
    stores: errand.stores,
    keyProvider: keyProviderFromConfig(errand.config),
    models,
    scrubber: deps.scrubber,
    log: deps.log,
    clock: deps.clock,
    ...(errand.config.publicUrl ? { publicUrl: errand.config.publicUrl } : {}),
    serverUrl: () => errand.http?.url,
  });
  const dashboard = createDashboard({
    redis: errand.redis,
    prefix: deps.prefix,
    agents: errand.agents,
    stores: errand.stores,
    keys: api.keys,
    models,
    scrubber: deps.scrubber,
    log: deps.log,
    clock: deps.clock,
    ...(errand.config.publicUrl ? { publicUrl: errand.config.publicUrl } : {}),
    ...(errand.config.githubApiUrl ? { githubApiUrl: errand.config.githubApiUrl } : {}),
  });
  return { mounts: [api.mount, dashboard.mount], notifiers: [api.notifier], start: () => api.start(), stop: () => api.close(), bannerLine: () => api.bannerLine() };
}

/** Where `errand start` leaves the URL of the local Redis it started, for the CLI on the same host. */
export function localRedisUrlFile(dataDir: string): string {
  return join(dataDir, 'redis', 'url');
}

/** The worker's job handler: runs the agent (engine) for `run` and `resume` jobs. */
function createJobHandler(errand: Errand): JobHandler {
  return async (_name, payload, context) => {
    context.log.error({ agentId: payload.agentId }, 'no agent engine is wired into this build');
    await errand.agents.transition(payload.agentId, 'failed', {
      patch: { error: { code: 'not_configured', message: 'this Errand build has no agent engine yet' } },
    });
  };
}

async function pingDocker(config: Config): Promise<{ reachable: boolean; detail: string }> {
  const docker = new Docker(config.dockerHost ? { host: config.dockerHost } : undefined);
  try {
    const version = await docker.version();
    return { reachable: true, detail: `Docker ${version.Version}` };
  } catch (error) {
    return { reachable: false, detail: error instanceof Error ? error.message : String(error) };
  }
}

/** What runs where, for people: printed once at start. */
export function banner(errand: Errand): string {
  const lines = [
    `Errand is running (role: ${errand.config.role})`,
    errand.http ? `  HTTP       ${errand.http.url}  (dashboard and API)` : '  HTTP       off (worker role)',
    `  Redis      ${redactUrl(errand.redisUrl)}${errand.config.redisUrl ? '' : ` (local redis-server, data in ${join(errand.config.dataDir, 'redis')})`}`,
    errand.docker.reachable
      ? `  Docker     ${errand.docker.detail}, base image ${errand.config.baseImage}`
      : `  Docker     NOT reachable (${errand.docker.detail}): agents cannot run until it is; set DOCKER_HOST or start dockerd`,
    errand.worker ? `  Worker     ${errand.config.workerConcurrency} agents at a time` : '  Worker     off (web role)',
  ];
  if (errand.apiHint) lines.push(`  API        ${errand.apiHint}`);
  for (const integration of integrations(errand.config)) {
    lines.push(`  ${integration.name.padEnd(10)} ${integration.on ? 'configured' : `not configured: ${integration.hint}`}`);
  }
  return lines.join('\n');
}
