import express, { type Express } from 'express';
import type { Redis } from 'ioredis';
import {
  SecretsService,
  SettingsService,
  type AgentService,
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
import type { KeyProvider } from '../../../secrets/index.js';
import type { HttpMount } from '../server.js';
import { accountRoutes } from './account-routes.js';
import { agentRoutes } from './agent-routes.js';
import { ApiKeyStore } from './api-keys.js';
import { authenticate } from './auth.js';
import type { ApiContext } from './context.js';
import { apiErrorHandler } from './errors.js';
import { WebhookDeliveries } from './webhook-delivery.js';
import { WebhookNotifier } from './webhook-notifier.js';
import { WebhookSecretStore } from './webhook-secrets.js';
import type { WebhookUrlPolicy } from './webhook-url.js';

export interface ApiFrontendOptions {
  redis: Redis;
  /** Errand's Redis key prefix (`errand:`). */
  prefix: string;
  agents: AgentService;
  stores: { events: EventLog; settings: SettingsStore; audit: AuditLog; secrets?: SecretStore };
  keyProvider: KeyProvider;
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
  webhookAttempts?: number;
  webhookBackoffMs?: number;
  fetch?: typeof fetch;
  /** The sandbox, for `POST /v0/agents/:id/snapshot`. */
  machines?: Pick<Sandbox, 'snapshot'>;
}

export interface ApiFrontend {
  mount: HttpMount;
  notifier: Notifier;
  keys: ApiKeyStore;
  start(): Promise<void>;
  close(): Promise<void>;
  /** One line for the start-up banner: where the API is, or how to get a first key. */
  bannerLine(): Promise<string>;
}

/** Errand's HTTP API v0 (Cursor-compatible) and its webhook notifier. */
export function createApiFrontend(options: ApiFrontendOptions): ApiFrontend {
  const { log, scrubber } = options;
  const keys = new ApiKeyStore(options.redis, options.prefix, options.clock);
  const webhookSecrets = new WebhookSecretStore(options.redis, options.prefix, options.keyProvider);
  const settings = new SettingsService({ settings: options.stores.settings, audit: options.stores.audit, log });
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
  };
  const deliveries = new WebhookDeliveries({
    connection: options.redis,
    prefix: options.prefix.replace(/:$/, ''),
    agents: options.agents,
    settings,
    secrets: webhookSecrets,
    scrubber,
    log,
    baseUrl: () => (options.publicUrl ?? options.serverUrl?.() ?? 'http://127.0.0.1').replace(/\/+$/, ''),
    urlPolicy: ctx.webhookUrlPolicy,
    ...(options.webhookAttempts ? { attempts: options.webhookAttempts } : {}),
    ...(options.webhookBackoffMs ? { backoffMs: options.webhookBackoffMs } : {}),
    ...(options.fetch ? { fetch: options.fetch } : {}),
    now: () => options.clock.now(),
  });

  const mount: HttpMount = {
    name: 'api',
    mount(app: Express) {
      const router = express.Router();
      router.use(authenticate(keys));
      router.use(express.json({ limit: options.bodyLimit ?? '1mb' }));
      router.use(agentRoutes(ctx));
      router.use(accountRoutes(ctx));
      router.use((req, res) => {
        res.status(404).json({ error: { message: `no such endpoint: ${req.method} /v0${req.path}`, code: 'not_found' } });
      });
      router.use(apiErrorHandler(log));
      app.use('/v0', router);
    },
  };

  return {
    mount,
    notifier: new WebhookNotifier(deliveries),
    keys,
    start: () => deliveries.start(),
    close: () => deliveries.close(),
    async bannerLine() {
      const count = await keys.count();
      return count === 0
        ? 'no API keys yet: make the first admin key with `npm run errand -- keys create --name <you> --admin --save`'
        : `v0 at /v0 (${count} key${count === 1 ? '' : 's'}; \`errand keys list\`)`;
    },
  };
}
