import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type { Config } from './config.js';
import { AgentService, ErrandError, SecretsService, SettingsService, noMetrics, systemClock, type Clock, type Metrics } from './core/index.js';
import { ProviderRegistry } from './engine/providers/index.js';
import { repoServedCheck } from './git/repo-hosts.js';
import type { Logger } from './logger.js';
import { BullRunQueue } from './queue/run-queue.js';
import { WebhookQueue } from './queue/webhook-queue.js';
import { connectRedis, type RedisClient } from './redis/connect.js';
import { startLocalRedis } from './redis/local-server.js';
import type { Scrubber } from './redact/scrubber.js';
import { keyProviderFromConfig, type KeyProvider } from './secrets/index.js';
import { resolveInstance } from './instance.js';
import { createRedisStores, Keys, type RedisStores } from './store/redis/index.js';
import { checkEnvironmentText } from './environment/load-environment.js';

/** How long one shutdown step may take before the next one runs anyway. */
const shutdownStepMs = 5_000;

export interface ContextDeps {
  log: Logger;
  scrubber: Scrubber;
  clock?: Clock;
  /** Overrides ERRAND_INSTANCE (tests give each run its own). */
  instance?: string;
  /** What the core counts for /metrics (default: nothing). */
  metrics?: Metrics;
}

/** The core wired to Redis: what every role and every admin command needs. */
export interface CoreContext {
  config: Config;
  log: Logger;
  scrubber: Scrubber;
  clock: Clock;
  /** What this process counts for /metrics. */
  metrics: Metrics;
  /** ERRAND_INSTANCE (or derived): the label of this install's containers and images. */
  instance: string;
  /** The instance's Redis key prefix, `<instance>:`. */
  prefix: string;
  redis: RedisClient;
  redisUrl: string;
  /** True when this process started its own redis-server. */
  localRedis: boolean;
  stores: RedisStores;
  queue: BullRunQueue;
  /** API webhook deliveries (delivered by the web role). */
  webhooks: WebhookQueue;
  agents: AgentService;
  settings: SettingsService;
  secrets: SecretsService | null;
  /** The master key holder (secrets, envVars, derived signing keys). */
  keyProvider: KeyProvider;
  /** Runs cleanups, newest first. */
  close(): Promise<void>;
  onClose(cleanup: () => Promise<void>): void;
}

/** The autostarted Redis writes its URL here so the CLI on the same host can find it. */
export function localRedisUrlFile(config: Config): string {
  return join(config.dataDir, 'redis', 'url');
}

/**
 * Connects the core to Redis. `startRedis` (the server) starts a local redis-server when REDIS_URL
 * is unset; admin commands instead find the one a running server started.
 */
export async function openCore(config: Config, deps: ContextDeps, options: { startRedis: boolean }): Promise<CoreContext> {
  const { log, scrubber } = deps;
  const clock = deps.clock ?? systemClock;
  const metrics = deps.metrics ?? noMetrics;
  const instance = resolveInstance({ ...config, ...(deps.instance ? { instance: deps.instance } : {}) });
  const prefix = Keys.forInstance(instance).prefix;
  const cleanups: (() => Promise<void>)[] = [];
  // Each step gets a bound: with Redis unreachable a queue's close waits for it for ever, and a
  // process asked to stop must stop.
  const close = async () => {
    for (const cleanup of cleanups.splice(0)) {
      const step = cleanup().catch((error: unknown) => log.warn({ err: error }, 'shutdown step failed'));
      const late = delay(shutdownStepMs, 'late', { ref: false });
      if ((await Promise.race([step, late])) === 'late') log.warn({ step: cleanup.name || undefined, waitedMs: shutdownStepMs }, 'shutdown step did not finish; going on');
    }
  };
  try {
    let redisUrl = config.redisUrl;
    let localRedis = false;
    if (!redisUrl && options.startRedis) {
      if (!config.redisAutostart) throw new ErrandError('not_configured', 'REDIS_URL is not set and ERRAND_REDIS_AUTOSTART is off: set REDIS_URL');
      const dir = join(config.dataDir, 'redis');
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      const server = await startLocalRedis({ dir, appendOnly: true, password: localRedisPassword(dir) });
      const urlFile = localRedisUrlFile(config);
      writeFileSync(urlFile, server.url, { mode: 0o600 });
      chmodSync(urlFile, 0o600);
      scrubber.add(new URL(server.url).password);
      cleanups.push(async () => {
        rmSync(urlFile, { force: true });
        await server.stop();
      });
      redisUrl = server.url;
      localRedis = true;
    } else if (!redisUrl) {
      redisUrl = readLocalRedisUrl(config);
    }
    const redis = await connectRedis(redisUrl);
    // QUIT would queue until Redis is back: an unreachable one is simply let go.
    cleanups.unshift(async () => void (redis.status === 'ready' ? await redis.quit().catch(() => redis.disconnect()) : redis.disconnect()));
    redis.on('error', (error) => log.warn({ err: error }, 'redis connection error; reconnecting'));

    const keyProvider = keyProviderFromConfig(config);
    const stores = createRedisStores(redis, {
      prefix, clock, retentionDays: config.retentionDays, admins: config.admins, keyProvider, scrubber,
    });
    // Once per index version: agents stored before an index existed get their entries.
    const indexed = await stores.agents.rebuildIndexes();
    if (indexed > 0) log.info({ indexed }, 'agent indexes rebuilt from the stored records');
    const queue = new BullRunQueue(redis, undefined, stores.keys.queuePrefix());
    // A resume goes to the host whose Docker engine holds the agent's machine, while it has a live worker.
    queue.routeBy(stores.machineHosts);
    cleanups.unshift(() => queue.close());
    // Checked at launch and on settings save, before anything is posted: known model, served repository.
    const models = new ProviderRegistry({ config, log });
    const capabilities = { models, assertRepoServed: repoServedCheck(config) };
    // Until a worker plugs its sandbox in, forgotten agents' containers are a worker's job.
    const webhooks = new WebhookQueue(redis, stores.keys.queuePrefix());
    cleanups.unshift(() => webhooks.close());
    const agents = new AgentService({ ...stores, queue, clock, log, defaultModel: config.defaultModel ?? null, localRepos: config.localRepos === 'allow', capabilities, containers: stores.containerSignals, metrics });
    agents.forgetter.addQueue(webhooks);
    const settings = new SettingsService({ settings: stores.settings, audit: stores.audit, log, models, checkEnvironment: checkEnvironmentText });
    const secrets = stores.secrets ? new SecretsService({ secrets: stores.secrets, settings: stores.settings, audit: stores.audit, log }) : null;
    return {
      config, log, scrubber, clock, metrics, instance, prefix, redis, redisUrl, localRedis, stores, queue, webhooks, agents, settings, secrets, keyProvider,
      close,
      onClose: (cleanup) => cleanups.unshift(cleanup),
    };
  } catch (error) {
    await close();
    throw error;
  }
}

/**
 * The autostarted Redis's password: random, made once and kept in `<dataDir>/redis/password`
 * (mode 600), so nothing on this host without access to the data dir can talk to it.
 */
function localRedisPassword(dir: string): string {
  const file = join(dir, 'password');
  if (existsSync(file)) {
    const saved = readFileSync(file, 'utf8').trim();
    if (/^[0-9a-f]{64}$/.test(saved)) return saved;
  }
  const password = randomBytes(32).toString('hex');
  writeFileSync(file, password, { mode: 0o600 });
  chmodSync(file, 0o600);
  return password;
}

function readLocalRedisUrl(config: Config): string {
  try {
    return readFileSync(localRedisUrlFile(config), 'utf8').trim();
  } catch {
    throw new ErrandError(
      'not_configured',
      `REDIS_URL is not set and no local Errand is running here (no ${localRedisUrlFile(config)}): start Errand with \`npm start\` or set REDIS_URL`,
    );
  }
}
