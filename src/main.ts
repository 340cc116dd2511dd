import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { integrations, type Config } from './config.js';
import { openCore, type ContextDeps, type CoreContext } from './context.js';
import { ErrandError, NotifyDispatcher, OrphanSweeper, RetentionSweeper, RunAdmission, type Sandbox } from './core/index.js';
import { createFrontends } from './frontends/create-frontends.js';
import { createPlatforms, platformStops, startTriggerJobs } from './frontends/platforms.js';
import type { ReadinessCheck } from './frontends/http/health-routes.js';
import { startHttpServer, type RunningHttpServer } from './frontends/http/server.js';
import { PrometheusMetrics } from './metrics/prometheus.js';
import { createEngine, createRunHandler } from './engine/index.js';
import { RunWorker } from './queue/run-worker.js';
import { networkSupply } from './egress/from-config.js';
import { redactUrl } from './redis/connect.js';
import { checkRedisForProduction } from './redis/production-checks.js';
import { createDockerClient, describeIsolation, detectIsolation, Reaper } from './sandbox/docker/index.js';

export type ErrandDeps = ContextDeps;

/** A running Errand: the core plus the parts its role runs. */
export interface Errand extends CoreContext {
  http: RunningHttpServer | null;
  /** The worker role's /healthz, /readyz and /metrics (ERRAND_HEALTH_PORT). */
  health: RunningHttpServer | null;
  worker: RunWorker | null;
  /** This process's Prometheus metrics. */
  prometheus: PrometheusMetrics;
  /** The worker's host id (ERRAND_WORKER_HOST): resumes of the machines it holds are routed to it. */
  workerHost: string | null;
  dispatcher: NotifyDispatcher | null;
  docker: { reachable: boolean; detail: string };
  /** Ways the Redis server's setup can lose Errand's state (each with its fix); empty when sound. */
  redisWarnings: string[];
  /** The API's line in the banner (how to get a first key), when the web role runs. */
  apiHint: string | null;
  stop(): Promise<void>;
}

/** The one composition root: wires adapters for the role (`all`, `web`, `worker`). */
export async function startErrand(config: Config, deps: ErrandDeps): Promise<Errand> {
  const prometheus = deps.metrics instanceof PrometheusMetrics ? deps.metrics : new PrometheusMetrics({ role: config.role });
  if (config.metricsToken) deps.scrubber.add(config.metricsToken);
  const core = await openCore(config, { ...deps, metrics: prometheus }, { startRedis: true });
  try {
    const redisWarnings = await productionChecks(core);
    prometheus.addSources({
      agentsByStatus: () => core.stores.agents.statusCounts(),
      queueCounts: async () => ({
        [core.queue.queue.name]: await core.queue.queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'failed'),
        [core.webhooks.queue.name]: await core.webhooks.queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'failed'),
      }),
    });
    const errand: Errand = {
      ...core,
      http: null,
      health: null,
      prometheus,
      workerHost: null,
      worker: null,
      dispatcher: null,
      docker: await pingDocker(config),
      redisWarnings,
      apiHint: null,
      stop: () => core.close(),
    };
    if (config.role !== 'web') {
      const engine = createEngine(core);
      const host = workerHostId(config);
      errand.workerHost = host;
      const runHandler = createRunHandler(engine);
      const agentTtlMs = (config.retentionDays + 1) * 86_400_000;
      const worker = new RunWorker({
        connection: core.redis,
        // This host now holds (or makes) the agent's machine: its resumes come back here.
        handler: async (name, payload, context) => {
          await core.stores.machineHosts.record(payload.agentId, host, agentTtlMs);
          return runHandler(name, payload, context);
        },
        host,
        stops: core.stores.stops,
        log: core.log,
        concurrency: config.workerConcurrency,
        prefix: core.stores.keys.queuePrefix(),
        admission: new RunAdmission(core.stores),
        stalledIntervalMs: config.stalledIntervalMs,
        metrics: prometheus,
      });
      await worker.start();
      errand.worker = worker;
      core.onClose(async () => engine.egress?.closeAll());
      core.onClose(() => worker.close());
      startHostHeartbeat(core, host);
      // Forgetting an agent here removes its container at once; `web` processes signal us instead.
      core.agents.forgetter.useContainers(engine.sandbox);
      const unsubscribe = await core.stores.containerSignals.onRemove((agentId) => {
        engine.sandbox.remove(agentId).catch((error: unknown) => core.log.warn({ err: error, agentId }, 'could not remove a forgotten agent\'s container'));
      });
      core.onClose(unsubscribe);
      startRetentionSweeps(core);
      startOrphanSweeps(core);
      const reaper = new Reaper({
        docker: createDockerClient(config.dockerHost),
        log: core.log.child({ component: 'reaper' }),
        install: core.instance,
        poolIdleMs: config.machinePoolIdleSeconds * 1000,
        isLive: async (agentId) => ((await core.agents.get(agentId))?.status ?? 'expired') !== 'expired',
      });
      reaper.start();
      core.onClose(() => reaper.stop());
      adoptIdleMachines(core, engine.sandbox);
      core.onClose(async () => engine.sandbox.close?.());
    }
    if (config.role === 'worker') {
      // Slack and GitHub requests the web role answered and queued: their checks, posts and launches run here.
      const platforms = await createPlatforms(core);
      for (const stop of platformStops(platforms)) core.onClose(stop);
      await startTriggerJobs(platforms);
    }
    const metricsEndpoint = {
      render: () => prometheus.render(),
      contentType: prometheus.contentType,
      token: config.metricsToken,
      observeRequest: (path: string, status: number, seconds: number) => prometheus.httpRequest(path, status, seconds),
    };
    const readiness = readinessChecks(errand);
    if (config.role === 'worker') {
      const health = await startHttpServer({ host: config.host, port: config.healthPort, log: core.log, mounts: [], readiness, metrics: metricsEndpoint, requestLog: false });
      errand.health = health;
      core.onClose(() => health.close());
    }
    if (config.role !== 'worker') {
      const frontends = await createFrontends(core, () => errand.http?.url, { triggerJobs: config.role === 'all' });
      for (const stop of frontends.stops) core.onClose(stop);
      const dispatcher = new NotifyDispatcher({ ...core.stores, notifiers: frontends.notifiers, log: core.log });
      await dispatcher.start();
      errand.dispatcher = dispatcher;
      core.onClose(() => dispatcher.close());
      const http = await startHttpServer({
        host: config.host, port: config.port, log: core.log, mounts: frontends.mounts, redisReady: () => core.redis.status === 'ready', readiness, metrics: metricsEndpoint,
      });
      errand.http = http;
      core.onClose(() => http.close());
      await frontends.warmUp(http.url);
      errand.apiHint = await frontends.bannerLine();
    }
    core.log.info(
      { role: config.role, instance: core.instance, redis: redactUrl(core.redisUrl), localRedis: core.localRedis, http: errand.http?.url, docker: errand.docker.reachable },
      'errand started',
    );
    return errand;
  } catch (error) {
    await core.close();
    throw error;
  }
}

/**
 * Redis must keep what Errand stores: no eviction, persistence on. Each problem is logged as a
 * warning and printed in the banner; with ERRAND_STRICT=true Errand refuses to start instead.
 */
async function productionChecks(core: CoreContext): Promise<string[]> {
  const problems = await checkRedisForProduction(core.redis);
  if (problems.length > 0 && core.config.strict) {
    throw new ErrandError(
      'not_configured',
      `ERRAND_STRICT is on and Redis at ${redactUrl(core.redisUrl)} can lose Errand's state:\n${problems.map((p) => `  - ${p.message}`).join('\n')}`,
    );
  }
  for (const problem of problems) core.log.warn({ setting: problem.setting, fix: problem.message }, 'redis can lose errand state');
  return problems.map((p) => p.message);
}

/**
 * What /readyz checks: Redis answers, the queue answers, and where this process runs agents, the
 * Docker engine answers and the queue worker is running.
 */
function readinessChecks(errand: Errand): ReadinessCheck[] {
  const checks: ReadinessCheck[] = [
    { name: 'redis', check: async () => errand.redis.status === 'ready' && (await errand.redis.ping()) === 'PONG' },
    { name: 'queue', check: async () => typeof (await errand.queue.queue.getJobCounts('waiting')).waiting === 'number' && (errand.worker?.isRunning() ?? true) },
  ];
  if (errand.config.role !== 'web') {
    const docker = createDockerClient(errand.config.dockerHost);
    checks.push({ name: 'docker', check: async () => Boolean(await docker.ping()) });
  }
  return checks;
}

/** ERRAND_WORKER_HOST, else the hostname, plus a hash of DOCKER_HOST so two engines on one machine stay apart. */
export function workerHostId(config: Pick<Config, 'workerHost' | 'dockerHost'>): string {
  if (config.workerHost) return config.workerHost;
  const name = hostname().replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 48) || 'host';
  return config.dockerHost ? `${name}-${createHash('sha256').update(config.dockerHost).digest('hex').slice(0, 8)}` : name;
}

/**
 * Tells other processes this host has a live worker (so resumes of its machines wait for it),
 * and moves the jobs waiting for a host whose worker is gone to the shared queue: that machine
 * is lost, and the agent resumes in a new one on any host (from its pushed branch). The
 * heartbeat stops first at shutdown, so resumes put back by the shutdown go to the shared queue.
 */
function startHostHeartbeat(core: CoreContext, host: string): void {
  const interval = core.config.stalledIntervalMs;
  const { machineHosts } = core.stores;
  const beat = async () => {
    await machineHosts.heartbeat(host, 3 * interval);
    for (const other of await machineHosts.hosts()) {
      if (other === host || (await machineHosts.alive(other))) continue;
      const moved = await core.queue.moveHostJobs(other);
      if (moved) core.log.warn({ host: other, moved }, 'worker host gone: its agents resume on another host');
    }
  };
  const tick = () => void beat().catch((error: unknown) => core.log.warn({ err: error }, 'worker host heartbeat failed'));
  tick();
  const timer = setInterval(tick, interval);
  timer.unref();
  core.onClose(async () => {
    clearInterval(timer);
    await machineHosts.forgetHost(host).catch(() => undefined);
  });
}

/** Expires agents past their retention, at start and every ten minutes. */
/**
 * Machines kept warm by a worker that stopped: each gets the rest of its idle grace (counted from
 * when its agent settled), or is stopped now when that is over. A failure is a warning: the
 * machines then run until a follow-up or the reaper.
 */
function adoptIdleMachines(core: CoreContext, sandbox: Sandbox): void {
  const active = new Set(['queued', 'preparing', 'running']);
  const settledAt = async (agentId: string): Promise<number | null> => {
    const agent = await core.agents.get(agentId);
    if (!agent || active.has(agent.status)) return null;
    return Date.parse(agent.finishedAt ?? agent.updatedAt);
  };
  sandbox.adoptIdle?.(settledAt).catch((error: unknown) => core.log.warn({ err: error }, 'could not take over the idle machines of an earlier worker'));
}

function startRetentionSweeps(core: CoreContext): void {
  const sweeper = new RetentionSweeper({ ...core.stores, service: core.agents, clock: core.clock, log: core.log });
  const sweep = () => void sweeper.sweep().catch((error: unknown) => core.log.warn({ err: error }, 'retention sweep failed'));
  sweep();
  const timer = setInterval(sweep, 10 * 60_000);
  timer.unref();
  core.onClose(async () => clearInterval(timer));
}

/**
 * Fails agents whose worker died and that no worker took over (see OrphanSweeper), every two
 * stalled intervals; a takeover normally comes within three, so four is the grace.
 */
function startOrphanSweeps(core: CoreContext): void {
  const interval = core.config.stalledIntervalMs;
  const sweeper = new OrphanSweeper({
    agents: core.stores.agents, service: core.agents, runLeases: core.stores.runLeases, queue: core.queue, clock: core.clock, log: core.log, graceMs: 4 * interval,
  });
  const timer = setInterval(() => void sweeper.sweep().catch((error: unknown) => core.log.warn({ err: error }, 'orphan sweep failed')), 2 * interval);
  timer.unref();
  core.onClose(async () => clearInterval(timer));
}

async function pingDocker(config: Config): Promise<{ reachable: boolean; detail: string }> {
  const docker = createDockerClient(config.dockerHost);
  try {
    const version = await docker.version();
    const isolation = await detectIsolation(docker);
    return { reachable: true, detail: `Docker ${version.Version}, isolation ${isolation} (${describeIsolation(isolation)})` };
  } catch (error) {
    return { reachable: false, detail: error instanceof Error ? error.message : String(error) };
  }
}

/** What runs where, for people: printed once at start. */
export function banner(errand: Errand): string {
  const lines = [
    `Errand is running (role: ${errand.config.role}, instance: ${errand.instance})`,
    errand.http ? `  HTTP       ${errand.http.url}  (dashboard and API)` : '  HTTP       off (worker role)',
    `  Redis      ${redactUrl(errand.redisUrl)}${errand.localRedis ? ` (local redis-server, data in ${join(errand.config.dataDir, 'redis')})` : ''}`,
    errand.docker.reachable
      ? `  Docker     ${errand.docker.detail}, base image ${errand.config.baseImage}`
      : `  Docker     NOT reachable (${errand.docker.detail}): agents cannot run until it is; set DOCKER_HOST or start dockerd`,
    ...errand.redisWarnings.map((warning) => `  WARNING    ${warning}`),
    errand.worker ? `  Worker     ${errand.config.workerConcurrency} agents at a time, host ${errand.workerHost}` : '  Worker     off (web role)',
    errand.health ? `  Health     ${errand.health.url}/readyz and /metrics` : `  Metrics    ${errand.http ? `${errand.http.url}/metrics` : 'off'} (${errand.config.metricsToken ? 'bearer ERRAND_METRICS_TOKEN' : 'loopback clients only; set ERRAND_METRICS_TOKEN'})`,
    `  Network    ${networkLine(errand.config)}`,
  ];
  if (errand.apiHint) lines.push(`  API        ${errand.apiHint}`);
  for (const integration of integrations(errand.config)) {
    lines.push(`  ${integration.name.padEnd(10)} ${integration.on ? 'configured' : `not configured: ${integration.hint}`}`);
  }
  return lines.join('\n');
}

/** The banner's network line: what agents get, and a loud warning for the host network. */
export function networkLine(config: Config): string {
  const supply = networkSupply(config);
  switch (supply.kind) {
    case 'proxy':
      return `agents on network none, internet through Errand's egress proxy per workspace policy (default full; private addresses and Errand itself never)${config.egressAllowPrivate.length ? `; private endpoints opened: ${config.egressAllowPrivate.join(', ')}` : ''}`;
    case 'unavailable':
      return `NO EGRESS PROXY: ${supply.reason}`;
    case 'direct':
      return supply.network === 'host'
        ? "WARNING: ERRAND_UNSAFE_HOST_NETWORK: agents share the host's network and reach Errand's Redis, its HTTP port, cloud metadata and every private address; no policy is enforced"
        : `agents on Docker network ${supply.network}, unfiltered (workspace network policies are enforced only with ERRAND_SANDBOX_NETWORK=none)`;
  }
}
