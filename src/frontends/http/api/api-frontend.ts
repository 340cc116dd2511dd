import express, { type Express } from 'express';
import {
  SecretsService,
  SettingsService,
  type AgentService,
  type ArtifactStore,
  type AuditLog,
  type Clock,
  type EventLog,
  type Log,
  type ModelRegistry,
  type Notifier,
  type Sandbox,
  type SecretStore,
  type SettingsStore,
  type NetworkSupply,
} from '../../../core/index.js';
import type { Scrubber } from '../../../redact/scrubber.js';
import type { HttpMount } from '../server.js';
import { accountRoutes } from './account-routes.js';
import { agentRoutes, artifactDownloadRoutes } from './agent-routes.js';
import { ArtifactUrlSigner } from './artifact-urls.js';
import { ApiKeyStore } from './api-keys.js';
import { authenticate } from './auth.js';
import type { ApiContext } from './context.js';
import { ApiError, apiErrorHandler } from './errors.js';
import type { WebhookQueue } from '../../../queue/webhook-queue.js';
import type { RedisAgentRuns, RedisApiKeyRecords, RedisRateLimits, RedisRepositoryCache, WebhookSecretStore } from '../../../store/redis/index.js';
import type { PullRequestLookup } from './pull-request-launch.js';
import { rateLimit } from './rate-limit.js';
import { cachedRepositories, type RepositoryLister, type RepositorySource, type UnlistedHost } from './repositories.js';
import { v1ArtifactRoutes } from './v1-artifacts.js';
import { v1Routes } from './v1-routes.js';
import { WebhookSender } from './webhook-delivery.js';
import { WebhookNotifier } from './webhook-notifier.js';
import type { WebhookUrlPolicy } from './webhook-url.js';
import { checkEnvironmentText } from '../../../environment/load-environment.js';
import { signingKey } from '../../../secrets/index.js';

export interface ApiFrontendOptions {
  agents: AgentService;
  stores: {
    events: EventLog;
    settings: SettingsStore;
    audit: AuditLog;
    secrets?: SecretStore;
    apiKeys: RedisApiKeyRecords;
    webhookSecrets?: WebhookSecretStore;
    artifacts: ArtifactStore;
    runs: RedisAgentRuns;
    repositories: RedisRepositoryCache;
    rateLimits(limit: { points: number; durationSeconds: number }): RedisRateLimits;
  };
  /** Requests per key and window (ERRAND_API_RATE_LIMIT, ERRAND_API_RATE_WINDOW_SECONDS); off when absent or 0. */
  rateLimit?: { points: number; durationSeconds: number };
  /** Lists the repositories the GitHub App's installations reach (none without an App). */
  repositories?: RepositorySource;
  /** Reads pull requests for `prUrl` launches (the GitHub App); without it such launches are refused. */
  pullRequests?: PullRequestLookup;
  /** Configured plain git hosts that cannot be listed (see git/repo-hosts.ts unlistedGitHosts). */
  unlistedHosts?: UnlistedHost[];
  /** How long the repository list is cached (default 60 s). */
  repositoryCacheSeconds?: number;
  /** The key that signs artifact download links (default: this process's own; see secrets/signing-key.ts). */
  artifactUrlKey?: () => Promise<Buffer>;
  /** The queue webhook deliveries travel through (src/queue). */
  webhooks: WebhookQueue;
  models: ModelRegistry | null;
  scrubber: Scrubber;
  log: Log;
  clock: Clock;
  /** ERRAND_PUBLIC_URL, for links in responses and webhooks. */
  publicUrl?: string;
  /** Where agents' network comes from, to show the network in effect (default: the egress proxy). */
  networkSupply?: NetworkSupply;
  /** Where webhooks link to when there is no public URL (the HTTP server's address, known once it listens). */
  serverUrl?: () => string | undefined;
  /** JSON body cap (default 1 MB). */
  bodyLimit?: string;
  /** SSE heartbeat interval (default 15 s). */
  heartbeatMs?: number;
  webhookUrlPolicy?: WebhookUrlPolicy;
  fetch?: typeof fetch;
  /** The sandbox, for `POST /v0/agents/:id/snapshot`. */
  machines?: Pick<Sandbox, 'snapshot'>;
}

export interface ApiFrontend {
  mount: HttpMount;
  notifier: Notifier;
  keys: ApiKeyStore;
  /** The repositories the configured hosts make available (cached; what /v0 and /v1 repositories list). */
  repositories: RepositoryLister;
  start(): Promise<void>;
  close(): Promise<void>;
  /** One line for the start-up banner: where the API is, or how to get a first key. */
  bannerLine(): Promise<string>;
}

/** Errand's HTTP API, v0 and v1 (Cursor-compatible), and its webhook notifier. */
export function createApiFrontend(options: ApiFrontendOptions): ApiFrontend {
  const { log, scrubber } = options;
  const keys = new ApiKeyStore(options.stores.apiKeys, options.clock);
  const webhookSecrets = options.stores.webhookSecrets;
  if (!webhookSecrets) throw new Error('the API needs the webhook secret store: pass a key provider to createRedisStores');
  const settings = new SettingsService({ settings: options.stores.settings, audit: options.stores.audit, log, ...(options.models ? { models: options.models } : {}), checkEnvironment: checkEnvironmentText });
  const secrets = options.stores.secrets ? new SecretsService({ secrets: options.stores.secrets, settings: options.stores.settings, audit: options.stores.audit, log }) : null;
  const ctx: ApiContext = {
    agents: options.agents,
    events: options.stores.events,
    settings,
    secrets,
    audit: options.stores.audit,
    webhookSecrets,
    models: options.models,
    scrubber,
    log,
    ...(options.publicUrl ? { publicUrl: options.publicUrl } : {}),
    networkSupply: options.networkSupply ?? { kind: 'proxy' },
    heartbeatMs: options.heartbeatMs ?? 15_000,
    webhookUrlPolicy: options.webhookUrlPolicy ?? {},
    machines: options.machines ?? null,
    runs: options.stores.runs,
    repositories: cachedRepositories(options.repositories ?? null, options.stores.repositories, log, options.repositoryCacheSeconds ?? 60),
    artifactUrls: new ArtifactUrlSigner(options.artifactUrlKey ?? signingKey(null, 'artifact-urls'), options.clock),
    artifactStore: options.stores.artifacts,
    unlistedHosts: options.unlistedHosts ?? [],
    pullRequests: options.pullRequests ?? null,
  };
  const limits = options.rateLimit && options.rateLimit.points > 0 ? options.stores.rateLimits(options.rateLimit) : null;
  const sender = new WebhookSender({
    agents: options.agents,
    settings,
    secrets: webhookSecrets,
    scrubber,
    log,
    baseUrl: () => (options.publicUrl ?? options.serverUrl?.() ?? 'http://127.0.0.1').replace(/\/+$/, ''),
    urlPolicy: ctx.webhookUrlPolicy,
    ...(options.fetch ? { fetch: options.fetch } : {}),
    now: () => options.clock.now(),
  });

  const mount: HttpMount = {
    name: 'api',
    mount(app: Express) {
      app.use('/v0', artifactDownloadRoutes(ctx));
      app.use('/v1', artifactDownloadRoutes(ctx, 'v1'));
      const version = (mountPath: '/v0' | '/v1', ...routes: express.Router[]) => {
        const router = express.Router();
        router.use(authenticate(keys));
        router.use(rateLimit(limits));
        router.use(express.json({ limit: options.bodyLimit ?? '1mb' }));
        for (const r of routes) router.use(r);
        router.use((req) => {
          throw new ApiError(404, 'not_found', `no such endpoint: ${req.method} ${mountPath}${req.path}`);
        });
        router.use(apiErrorHandler(log, mountPath === '/v1' ? 'v1' : 'v0'));
        app.use(mountPath, router);
      };
      version('/v0', agentRoutes(ctx), accountRoutes(ctx));
      version('/v1', v1Routes(ctx), v1ArtifactRoutes(ctx));
    },
  };

  return {
    mount,
    notifier: new WebhookNotifier(options.webhooks),
    keys,
    repositories: ctx.repositories,
    start: () => options.webhooks.start((job, meta) => sender.send(job, meta), log),
    close: () => options.webhooks.close(),
    async bannerLine() {
      const count = await keys.count();
      return count === 0
        ? 'no API keys yet: make the first admin key with `npm run errand -- keys create --name <you> --admin --save`'
        : `v0 at /v0, v1 at /v1 (${count} key${count === 1 ? '' : 's'}; \`errand keys list\`)`;
    },
  };
}
