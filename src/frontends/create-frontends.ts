import { queueBoard } from '../queue/queue-board.js';
import type { CoreContext } from '../context.js';
import type { Notifier } from '../core/index.js';
import { networkSupply } from '../egress/from-config.js';
import { ProviderRegistry } from '../engine/providers/index.js';
import { pullRequestLookupFromConfig, repositoryListFromConfig, unlistedGitHosts } from '../git/repo-hosts.js';
import { createDockerClient, createDockerSandbox, DockerMachineTerminals } from '../sandbox/docker/index.js';
import { createDashboard } from './dashboard/index.js';
import { warmQueuePath } from '../queue/warm-up-queue.js';
import { createApiFrontend } from './http/api/index.js';
import type { HttpMount } from './http/server.js';
import { createPlatforms, platformStops, startTriggerJobs } from './platforms.js';
import { signingKey } from '../secrets/index.js';
import { warmHttp, warmLaunchPath, warmStoredLaunches } from './warm-up.js';

export interface Frontends {
  mounts: HttpMount[];
  notifiers: Notifier[];
  /** Run at shutdown, before Redis and the server go. */
  stops: (() => Promise<void>)[];
  /** The API's banner line (how to make a first key). */
  bannerLine: () => Promise<string | null>;
  /** Sends the server a few requests of its own once it listens, so the first real ones run warm. */
  warmUp: (url: string) => Promise<void>;
}

/**
 * Front ends on the HTTP server and their notifiers; each one is on only when configured.
 * `triggerJobs`: also run the Slack and GitHub trigger jobs in this process (the `all` role). */
export async function createFrontends(errand: CoreContext, serverUrl: () => string | undefined, options: { triggerJobs: boolean }): Promise<Frontends> {
  const { config, stores } = errand;
  const mounts: HttpMount[] = [];
  const notifiers: Notifier[] = [];
  const stops: (() => Promise<void>)[] = [];
  const models = new ProviderRegistry({ config, log: errand.log });
  for (const key of models.apiKeys()) errand.scrubber.add(key);
  // Saving an agent's machine as a snapshot needs the Docker host that runs the agents.
  const machines = createDockerSandbox(config, errand.log, errand.prefix);
  const api = createApiFrontend({
    machines,
    agents: errand.agents,
    stores,
    artifactUrlKey: signingKey(errand.keyProvider, 'artifact-urls'),
    webhooks: errand.webhooks,
    models,
    scrubber: errand.scrubber,
    log: errand.log,
    clock: errand.clock,
    ...(config.publicUrl ? { publicUrl: config.publicUrl } : {}),
    networkSupply: networkSupply(config),
    serverUrl,
    rateLimit: { points: config.apiRateLimit, durationSeconds: config.apiRateWindowSeconds },
    ...withRepositories(repositoryListFromConfig(config, { log: errand.log, clock: errand.clock, onToken: (token) => errand.scrubber.add(token) })),
    unlistedHosts: unlistedGitHosts(config),
    ...withPullRequests(pullRequestLookupFromConfig(config, { log: errand.log, clock: errand.clock, onToken: (token) => errand.scrubber.add(token) })),
  });
  await api.start();
  stops.push(() => api.close());
  // Before the server takes requests: the first launches after a start would otherwise run cold.
  await warmLaunchPath({ agents: errand.agents, warmQueue: () => warmQueuePath(errand.redis, stores.keys.queuePrefix(), 50), scrubber: errand.scrubber, log: errand.log });
  await warmStoredLaunches({ redis: errand.redis, instancePrefix: errand.prefix, clock: errand.clock, scrubber: errand.scrubber, log: errand.log });
  mounts.push(api.mount);
  notifiers.push(api.notifier);
  // Commands, mentions, replies and GitHub deliveries are answered once queued; their jobs run in
  // the worker role (or here too, in `all`).
  const platforms = await createPlatforms(errand);
  stops.push(...platformStops(platforms));
  if (platforms.slack) {
    await platforms.slack.frontend.start();
    if (platforms.slack.frontend.mount) mounts.push(platforms.slack.frontend.mount);
    notifiers.push(platforms.slack.frontend.notifier);
  }
  if (platforms.github) {
    mounts.push(platforms.github.frontend.mount);
    notifiers.push(platforms.github.frontend.notifier);
  }
  if (options.triggerJobs) await startTriggerJobs(platforms);
  // Last: its routes are specific paths, and `/` is its own.
  // The web terminal opens machines through the same Docker engine (DOCKER_HOST) as snapshots.
  const dashboard = createDashboard({
    // Plain git repositories (ERRAND_GIT_REPOS) are launched by URL, GitHub ones by owner/name.
    availableRepositories: async () => (await api.repositories.list()).map((r) => (config.gitRepos.includes(r.repository) ? r.repository : `${r.owner}/${r.name}`)),
    machines,
    terminals: new DockerMachineTerminals(createDockerClient(config.dockerHost)),
    agents: errand.agents,
    stores,
    keys: api.keys,
    models,
    scrubber: errand.scrubber,
    log: errand.log,
    clock: errand.clock,
    ...(config.publicUrl ? { publicUrl: config.publicUrl } : {}),
    ...(config.githubApiUrl ? { githubApiUrl: config.githubApiUrl } : {}),
    networkSupply: networkSupply(config),
    queueBoard: (basePath) => queueBoard([errand.queue.queue, errand.webhooks.queue], basePath),
  });
  mounts.push(dashboard.mount);
  stops.push(async () => dashboard.close());
  return { mounts, notifiers, stops, bannerLine: () => api.bannerLine(), warmUp: (url) => warmHttp(url, errand.log) };
}

function withRepositories(source: (() => Promise<{ owner: string; name: string; repository: string }[]>) | null) {
  return source ? { repositories: source } : {};
}

function withPullRequests(lookup: ReturnType<typeof pullRequestLookupFromConfig>) {
  return lookup ? { pullRequests: lookup } : {};
}
