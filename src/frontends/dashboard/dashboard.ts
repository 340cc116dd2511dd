import { Router, type Express } from 'express';
import { SecretsService, SettingsService, type MachineTerminals, type AgentService, type AuditLog, type Clock, type DiffStore, type EventLog, type Inbox, type Log, type ModelRegistry, type NetworkSupply, type Sandbox, type SecretStore, type SettingsStore } from '../../core/index.js';
import type { Scrubber } from '../../redact/scrubber.js';
import type { ApiKeyStore } from '../http/api/index.js';
import type { HttpMount } from '../http/server.js';
import { LiveTerminals } from './live-terminals.js';
import { terminalRoutes } from './terminal-routes.js';
import { terminalSocket } from './terminal-socket.js';
import type { TerminalTicketStore } from '../../store/redis/terminal-tickets.js';
import { adminRoutes } from './admin-routes.js';
import { agentRoutes } from './agent-routes.js';
import { loadAssets } from './assets.js';
import type { DashboardContext } from './context.js';
import { loginRoutes } from './login-routes.js';
import { queueViewRoutes } from './queue-view.js';
import { dashboardErrorHandler } from './respond.js';
import { defaultSessionTimes, type LoginLinkStore, type SessionStore, type SessionTimes } from '../../store/redis/dashboard-sessions.js';
import { checkEnvironmentText } from '../../environment/load-environment.js';

export interface DashboardOptions {
  /** `owner/name` of the repositories the server's hosts make available (the new-agent picker). */
  availableRepositories?: () => Promise<string[]>;
  /** The sandbox, for the agent page's "Save as snapshot" button. */
  machines?: Pick<Sandbox, 'snapshot'>;
  /** Opens web terminals into agents' machines (the Docker engine that runs them). */
  terminals?: MachineTerminals;
  agents: AgentService;
  stores: {
    events: EventLog;
    inbox: Inbox;
    diffs: Pick<DiffStore, 'load'>;
    settings: SettingsStore;
    audit: AuditLog;
    secrets?: SecretStore;
    dashboardSessions(times?: SessionTimes): SessionStore;
    loginLinks(ttlSeconds?: number): LoginLinkStore;
    terminalTickets: TerminalTicketStore;
  };
  /** The API's key store: people sign in with their API key. */
  keys: ApiKeyStore;
  models: ModelRegistry | null;
  scrubber: Scrubber;
  log: Log;
  clock: Clock;
  publicUrl?: string;
  /** Where agents' network comes from (default: the egress proxy). */
  networkSupply?: NetworkSupply;
  /** GITHUB_API_URL, to link back to issues on GitHub Enterprise; github.com otherwise. */
  githubApiUrl?: string;
  sessionTimes?: SessionTimes;
  /** How long a sign-in link works (default 10 minutes). */
  loginLinkSeconds?: number;
  heartbeatMs?: number;
  /** How often the agents list checks for changes (default 4 s). */
  pollMs?: number;
  /** How often an open web terminal re-checks its person's access (default 5 s). */
  terminalRecheckMs?: number;
  /** The admins' queue view (bull-board, src/queue/queue-board.ts) for a base path; absent: none. */
  queueBoard?: (basePath: string) => Router;
}

/** The web address of the GitHub an API URL belongs to: `https://ghe.example/api/v3` → `https://ghe.example`. */
export function githubWebUrl(apiUrl: string | undefined): string {
  if (!apiUrl) return 'https://github.com';
  const url = new URL(apiUrl);
  if (url.hostname === 'api.github.com') return 'https://github.com';
  return `${url.origin}${url.pathname.replace(/\/api\/v3\/?$/, '').replace(/\/+$/, '')}`;
}

/** Errand's dashboard: server-rendered pages at `/`, one script and one stylesheet, no build step. */
export function createDashboard(options: DashboardOptions): { mount: HttpMount; context: DashboardContext; close(): void } {
  const { log } = options;
  const ctx: DashboardContext = {
    agents: options.agents,
    availableRepositories: options.availableRepositories ?? (async () => []),
    events: options.stores.events,
    inbox: options.stores.inbox,
    diffs: options.stores.diffs,
    settings: new SettingsService({ settings: options.stores.settings, audit: options.stores.audit, log, ...(options.models ? { models: options.models } : {}), checkEnvironment: checkEnvironmentText }),
    machines: options.machines ?? null,
    secrets: options.stores.secrets ? new SecretsService({ secrets: options.stores.secrets, settings: options.stores.settings, audit: options.stores.audit, log }) : null,
    audit: options.stores.audit,
    keys: options.keys,
    sessions: options.stores.dashboardSessions(options.sessionTimes ?? defaultSessionTimes),
    links: options.stores.loginLinks(options.loginLinkSeconds ?? 600),
    models: options.models,
    scrubber: options.scrubber,
    log,
    clock: options.clock,
    assets: loadAssets(),
    ...(options.publicUrl ? { publicUrl: options.publicUrl } : {}),
    networkSupply: options.networkSupply ?? { kind: 'proxy' },
    githubWebUrl: githubWebUrl(options.githubApiUrl),
    heartbeatMs: options.heartbeatMs ?? 15_000,
    pollMs: options.pollMs ?? 4_000,
    terminals: options.terminals ?? null,
    terminalTickets: options.stores.terminalTickets,
    liveTerminals: new LiveTerminals(),
    terminalRecheckMs: options.terminalRecheckMs ?? 5_000,
  };
  const upgrade = ctx.terminals ? terminalSocket(ctx, ctx.terminals) : null;
  const mount: HttpMount = {
    name: 'dashboard',
    mount(app: Express) {
      // Routes only, no app-wide middleware: Slack and GitHub verify signatures over raw bodies.
      ctx.assets.mount(app);
      const router = Router();
      router.use(loginRoutes(ctx), agentRoutes(ctx), terminalRoutes(ctx), adminRoutes(ctx));
      if (options.queueBoard) router.use(queueViewRoutes(ctx, options.queueBoard));
      // Reached only by errors from the routes above.
      router.use(dashboardErrorHandler(ctx));
      app.use(router);
    },
    ...(upgrade ? { upgrade } : {}),
  };
  return { mount, context: ctx, close: () => ctx.liveTerminals.closeAll() };
}
