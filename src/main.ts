import { join } from 'node:path';
import Docker from 'dockerode';
import { integrations, type Config } from './config.js';
import { openCore, type ContextDeps, type CoreContext } from './context.js';
import { NotifyDispatcher, RetentionSweeper, RunAdmission, type Agent, type Notifier } from './core/index.js';
import { ProviderRegistry } from './engine/providers/index.js';
import { GitHubFrontend } from './frontends/github/frontend.js';
import { createApiFrontend } from './frontends/http/api/index.js';
import { createDashboard } from './frontends/dashboard/index.js';
import { startHttpServer, type HttpMount, type RunningHttpServer } from './frontends/http/server.js';
import { createEngine, createRunHandler } from './engine/index.js';
import { createSlackFrontend } from './frontends/slack/slack-frontend.js';
import { RedisSlackState } from './frontends/slack/state.js';
import { RunWorker } from './queue/run-worker.js';
import { redactUrl } from './redis/connect.js';
import { createDockerClient, Reaper } from './sandbox/docker/index.js';
import { keyProviderFromConfig } from './secrets/index.js';

export type ErrandDeps = ContextDeps;

/** A running Errand: the core plus the parts its role runs. */
export interface Errand extends CoreContext {
  http: RunningHttpServer | null;
  worker: RunWorker | null;
  dispatcher: NotifyDispatcher | null;
  docker: { reachable: boolean; detail: string };
  /** The API's line in the banner (how to get a first key), when the web role runs. */
  apiHint: string | null;
  stop(): Promise<void>;
}

/** The one composition root: wires adapters for the role (`all`, `web`, `worker`). */
export async function startErrand(config: Config, deps: ErrandDeps): Promise<Errand> {
  const core = await openCore(config, deps, { startRedis: true });
  try {
    const errand: Errand = {
      ...core,
      http: null,
      worker: null,
      dispatcher: null,
      docker: await pingDocker(config),
      apiHint: null,
      stop: () => core.close(),
    };
    if (config.role !== 'web') {
      const engine = createEngine(core);
      const worker = new RunWorker({
        connection: core.redis,
        handler: createRunHandler(engine),
        stops: core.stores.stops,
        log: core.log,
        concurrency: config.workerConcurrency,
        prefix: core.prefix.replace(/:$/, ''),
        admission: new RunAdmission(core.stores),
      });
      await worker.start();
      errand.worker = worker;
      core.onClose(() => worker.close());
      startRetentionSweeps(core, (agent) => engine.sandbox.remove(agent.id));
      const reaper = new Reaper({
        docker: createDockerClient(config.dockerHost),
        log: core.log.child({ component: 'reaper' }),
        install: core.prefix,
        isLive: async (agentId) => ((await core.agents.get(agentId))?.status ?? 'expired') !== 'expired',
      });
      reaper.start();
      core.onClose(() => reaper.stop());
    }
    if (config.role !== 'worker') {
      const frontends = await createFrontends(errand);
      for (const stop of frontends.stops) core.onClose(stop);
      const dispatcher = new NotifyDispatcher({ ...core.stores, notifiers: frontends.notifiers, log: core.log });
      await dispatcher.start();
      errand.dispatcher = dispatcher;
      core.onClose(() => dispatcher.close());
      const http = await startHttpServer({ host: config.host, port: config.port, log: core.log, mounts: frontends.mounts });
      errand.http = http;
      core.onClose(() => http.close());
      errand.apiHint = await frontends.bannerLine();
    }
    core.log.info(
      { role: config.role, redis: redactUrl(core.redisUrl), localRedis: core.localRedis, http: errand.http?.url, docker: errand.docker.reachable },
      'errand started',
    );
    return errand;
  } catch (error) {
    await core.close();
    throw error;
  }
}

/** Expires agents past their retention, at start and every ten minutes. */
function startRetentionSweeps(core: CoreContext, onExpired: (agent: Agent) => Promise<void>): void {
  const sweeper = new RetentionSweeper({ ...core.stores, service: core.agents, clock: core.clock, log: core.log, onExpired });
  const sweep = () => void sweeper.sweep().catch((error: unknown) => core.log.warn({ err: error }, 'retention sweep failed'));
  sweep();
  const timer = setInterval(sweep, 10 * 60_000);
  timer.unref();
  core.onClose(async () => clearInterval(timer));
}

/** Front ends on the HTTP server and their notifiers; each one is on only when configured. */
async function createFrontends(
  errand: Errand,
): Promise<{ mounts: HttpMount[]; notifiers: Notifier[]; stops: (() => Promise<void>)[]; bannerLine: () => Promise<string | null> }> {
  const { config, stores } = errand;
  const mounts: HttpMount[] = [];
  const notifiers: Notifier[] = [];
  const stops: (() => Promise<void>)[] = [];
  const models = new ProviderRegistry({ config, log: errand.log });
  for (const key of models.apiKeys()) errand.scrubber.add(key);
  const api = createApiFrontend({
    redis: errand.redis,
    prefix: errand.prefix,
    agents: errand.agents,
    stores,
    keyProvider: keyProviderFromConfig(config),
    models,
    scrubber: errand.scrubber,
    log: errand.log,
    clock: errand.clock,
    ...(config.publicUrl ? { publicUrl: config.publicUrl } : {}),
    serverUrl: () => errand.http?.url,
  });
  await api.start();
  stops.push(() => api.close());
  mounts.push(api.mount);
  notifiers.push(api.notifier);
  if (config.slackBotToken && (config.slackSigningSecret || config.slackAppToken)) {
    const slack = await createSlackFrontend({
      botToken: config.slackBotToken,
      signingSecret: config.slackSigningSecret,
      appToken: config.slackAppToken,
      apiUrl: config.slackApiUrl,
      publicUrl: config.publicUrl,
      agents: errand.agents,
      settings: stores.settings,
      settingsAdmin: errand.settings,
      dedup: stores.dedup,
      state: new RedisSlackState(errand.redis, errand.prefix, (config.retentionDays + 1) * 86_400),
      log: errand.log,
    });
    await slack.start();
    stops.push(() => slack.stop());
    if (slack.mount) mounts.push(slack.mount);
    notifiers.push(slack.notifier);
  }
  if (config.githubAppId && config.githubPrivateKey && config.githubWebhookSecret) {
    const github = new GitHubFrontend({
      appId: config.githubAppId,
      privateKey: config.githubPrivateKey,
      webhookSecret: config.githubWebhookSecret,
      apiUrl: config.githubApiUrl,
      trigger: config.githubTrigger,
      agents: errand.agents,
      dedup: stores.dedup,
      settings: stores.settings,
      redis: errand.redis,
      prefix: errand.prefix,
      retentionDays: config.retentionDays,
      scrubber: errand.scrubber,
      log: errand.log,
      publicUrl: config.publicUrl,
    });
    // Let reactions and replies already under way finish before Redis and the server go.
    stops.push(() => github.idle());
    mounts.push(github.mount);
    notifiers.push(github.notifier);
  }
  // Last: its routes are specific paths, and `/` is its own.
  const dashboard = createDashboard({
    redis: errand.redis,
    prefix: errand.prefix,
    agents: errand.agents,
    stores,
    keys: api.keys,
    models,
    scrubber: errand.scrubber,
    log: errand.log,
    clock: errand.clock,
    ...(config.publicUrl ? { publicUrl: config.publicUrl } : {}),
    ...(config.githubApiUrl ? { githubApiUrl: config.githubApiUrl } : {}),
  });
  mounts.push(dashboard.mount);
  return { mounts, notifiers, stops, bannerLine: () => api.bannerLine() };
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
    `  Redis      ${redactUrl(errand.redisUrl)}${errand.localRedis ? ` (local redis-server, data in ${join(errand.config.dataDir, 'redis')})` : ''}`,
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
