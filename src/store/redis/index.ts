import type { Redis } from 'ioredis';
import type { Clock } from '../../core/index.js';
import type { Scrubber } from '../../redact/scrubber.js';
import type { KeyProvider } from '../../secrets/index.js';
import { RedisAgentStore } from './agent-store.js';
import { RedisAdmission } from './admission.js';
import { RedisAuditLog } from './audit-log.js';
import { RedisDedupStore } from './dedup-store.js';
import { RedisEventLog } from './event-log.js';
import { RedisInbox } from './inbox.js';
import { RedisModelHistory } from './model-history.js';
import { RedisAgentDiffs } from './agent-diffs.js';
import { Keys, expiryGraceSeconds } from './keys.js';
import { RedisEventBell, RedisLeases, RedisNotifyCursors } from './notify.js';
import { RedisSecretStore } from './secret-store.js';
import { RedisSettingsStore } from './settings-store.js';
import { RedisStopSignals } from './stop-signals.js';
import { RedisApiKeyRecords } from './api-key-records.js';
import { RedisContainerSignals } from './container-signals.js';
import { LoginLinkStore, SessionStore, defaultSessionTimes, type SessionTimes } from './dashboard-sessions.js';
import { RedisAgentKeys } from './forget.js';
import { RedisGitHubTracking } from './github-tracking.js';
import { RedisMachineHosts } from './machine-hosts.js';
import { RedisRunLeases } from './run-leases.js';
import { defineScripts } from './scripts.js';
import { RedisSlackState } from './slack-state.js';
import { TerminalTicketStore } from './terminal-tickets.js';
import { WebhookSecretStore } from './webhook-secrets.js';
import { RedisAgentRuns } from './agent-runs.js';
import { RedisRateLimits } from './rate-limits.js';
import { RedisRepositoryCache } from './repository-cache.js';
import { RedisSessionEnvStore } from './session-env.js';
import { RedisArtifactStore } from './artifact-store.js';

export { Keys } from './keys.js';
export {
  RedisAgentStore,
  RedisAuditLog,
  RedisDedupStore,
  RedisEventBell,
  RedisEventLog,
  RedisInbox,
  RedisLeases,
  RedisModelHistory,
  RedisNotifyCursors,
  RedisRunLeases,
  RedisSecretStore,
  RedisSettingsStore,
  RedisStopSignals,
};
export type { RewrapResult } from './secret-store.js';
export { RedisSessionEnvStore, RedisArtifactStore, RedisMachineHosts };
export { RedisApiKeyRecords, RedisContainerSignals, RedisGitHubTracking, RedisSlackState, SessionStore, LoginLinkStore, WebhookSecretStore, RedisAgentKeys, TerminalTicketStore };
export type { SlackState } from './slack-state.js';
export { RedisAgentRuns, RedisRateLimits, RedisRepositoryCache };
export type { AgentRun, RunOutcome } from './agent-runs.js';
export type { RateLimitVerdict } from './rate-limits.js';
export type { RepositorySummary } from './repository-cache.js';
export type { Session, SessionTimes } from './dashboard-sessions.js';

export interface RedisStores {
  keys: Keys;
  agents: RedisAgentStore;
  events: RedisEventLog;
  inbox: RedisInbox;
  dedup: RedisDedupStore;
  settings: RedisSettingsStore;
  stops: RedisStopSignals;
  cursors: RedisNotifyCursors;
  leases: RedisLeases;
  /** Which agents a live worker runs (takeover after a crash, stop without a worker). */
  runLeases: RedisRunLeases;
  /** Which worker host holds each agent's machine (resumes are routed there). */
  machineHosts: RedisMachineHosts;
  bell: RedisEventBell;
  audit: RedisAuditLog;
  admission: RedisAdmission;
  /** The agents' model conversations, for resume. */
  history: RedisModelHistory;
  /** The agents' diffs against their base, saved at push time. */
  diffs: RedisAgentDiffs;
  /** Present when a key provider and scrubber are passed in. */
  secrets?: RedisSecretStore;
  /** What `forget` deletes: every key of one agent. */
  agentKeys: RedisAgentKeys;
  /** Asks a worker with Docker to remove an agent's container (for `web` processes). */
  containerSignals: RedisContainerSignals;
  /** Front ends' state, all under the same key builder. */
  slack: RedisSlackState;
  githubTracking: RedisGitHubTracking;
  apiKeys: RedisApiKeyRecords;
  /** API v1's runs and archive flags. */
  runs: RedisAgentRuns;
  /** Per-API-key request limits (ERRAND_API_RATE_LIMIT). */
  rateLimits(limit: { points: number; durationSeconds: number }): RedisRateLimits;
  /** The repositories the configured hosts make available, cached briefly. */
  repositories: RedisRepositoryCache;
  /** Present when a key provider is passed in. */
  webhookSecrets?: WebhookSecretStore;
  /** Launch `envVars`, sealed; present when a key provider is passed in. */
  sessionEnv?: RedisSessionEnvStore;
  /** Files agents left under `artifacts/`. */
  artifacts: RedisArtifactStore;
  dashboardSessions(times?: SessionTimes): SessionStore;
  loginLinks(ttlSeconds?: number): LoginLinkStore;
  /** One-time tickets for the dashboard's web terminal. */
  terminalTickets: TerminalTicketStore;
}

export interface RedisStoreOptions {
  /** The instance's key prefix (`<ERRAND_INSTANCE>:`). */
  prefix?: string;
  clock: Clock;
  retentionDays: number;
  /** ERRAND_ADMINS: seeds every workspace's `admins` until its settings are first saved. */
  admins?: string[];
  /** With both, the stores include the encrypted secret store. */
  keyProvider?: KeyProvider;
  scrubber?: Scrubber;
}

export function createRedisStores(client: Redis, options: RedisStoreOptions): RedisStores {
  const redis = defineScripts(client);
  const keys = new Keys(options.prefix);
  const retentionSeconds = options.retentionDays * 86_400;
  /** Lifetime of an agent's keys written before its record (which then sets the real one). */
  const agentFallbackSeconds = retentionSeconds + expiryGraceSeconds;
  return {
    keys,
    agents: new RedisAgentStore(redis, keys, options.clock),
    events: new RedisEventLog(redis, keys, options.clock, retentionSeconds),
    inbox: new RedisInbox(redis, keys, retentionSeconds),
    dedup: new RedisDedupStore(redis, keys),
    settings: new RedisSettingsStore(redis, keys, { retentionDays: options.retentionDays, ...(options.admins?.length ? { admins: options.admins } : {}) }),
    stops: new RedisStopSignals(redis, keys),
    cursors: new RedisNotifyCursors(redis, keys, retentionSeconds),
    leases: new RedisLeases(redis, keys),
    runLeases: new RedisRunLeases(redis, keys),
    machineHosts: new RedisMachineHosts(redis, keys),
    bell: new RedisEventBell(redis, keys),
    admission: new RedisAdmission(redis, keys),
    audit: new RedisAuditLog(redis, keys, options.clock, retentionSeconds),
    history: new RedisModelHistory(redis, keys, options.clock),
    diffs: new RedisAgentDiffs(redis, keys, options.clock),
    agentKeys: new RedisAgentKeys(redis, keys),
    containerSignals: new RedisContainerSignals(redis, keys),
    slack: new RedisSlackState(redis, keys, agentFallbackSeconds),
    githubTracking: new RedisGitHubTracking(redis, keys, agentFallbackSeconds),
    apiKeys: new RedisApiKeyRecords(redis, keys),
    runs: new RedisAgentRuns(redis, keys, agentFallbackSeconds * 1000),
    rateLimits: (limit) => new RedisRateLimits(redis, keys, limit),
    repositories: new RedisRepositoryCache(redis, keys),
    ...(options.keyProvider ? { webhookSecrets: new WebhookSecretStore(redis, keys, options.keyProvider) } : {}),
    ...(options.keyProvider ? { sessionEnv: new RedisSessionEnvStore(redis, keys, options.keyProvider, options.scrubber) } : {}),
    artifacts: new RedisArtifactStore(redis, keys),
    dashboardSessions: (times = defaultSessionTimes) => new SessionStore(redis, keys, options.clock, times),
    loginLinks: (ttlSeconds = 600) => new LoginLinkStore(redis, keys, ttlSeconds),
    terminalTickets: new TerminalTicketStore(redis, keys),
    ...(options.keyProvider && options.scrubber ? { secrets: new RedisSecretStore(redis, keys, options.keyProvider, options.scrubber, options.clock) } : {}),
  };
}
