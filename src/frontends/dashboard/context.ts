import type {
  AgentService,
  AuditLog,
  Clock,
  DiffStore,
  EventLog,
  Inbox,
  Log,
  ModelRegistry,
  Sandbox,
  SecretsService,
  SettingsService,
  NetworkSupply,
  MachineTerminals,
} from '../../core/index.js';
import type { Scrubber } from '../../redact/scrubber.js';
import type { ApiKeyStore } from '../http/api/index.js';
import type { Assets } from './assets.js';
import type { LoginLinkStore, SessionStore } from '../../store/redis/dashboard-sessions.js';
import type { TerminalTicketStore } from '../../store/redis/terminal-tickets.js';
import type { LiveTerminals } from './live-terminals.js';

/** What the dashboard's routes need: the core's services and Errand's own stores. */
export interface DashboardContext {
  agents: AgentService;
  /** `owner/name` of the repositories the server's hosts make available (the new-agent picker). */
  availableRepositories: () => Promise<string[]>;
  events: EventLog;
  inbox: Inbox;
  /** The agents' diffs, saved by the worker at push time (the diff view). */
  diffs: Pick<DiffStore, 'load'>;
  settings: SettingsService;
  /** Null when the server has no master key (no secret store). */
  secrets: SecretsService | null;
  audit: AuditLog;
  /** The API's key store: the dashboard signs people in with their API key. */
  keys: ApiKeyStore;
  sessions: SessionStore;
  links: LoginLinkStore;
  models: ModelRegistry | null;
  scrubber: Scrubber;
  log: Log;
  clock: Clock;
  assets: Assets;
  /** ERRAND_PUBLIC_URL: links, the Origin check and Secure cookies follow it when set. */
  publicUrl?: string;
  networkSupply: NetworkSupply;
  /** Web address of the GitHub the GitHub App talks to (https://github.com unless Enterprise). */
  githubWebUrl: string;
  /** SSE heartbeat interval. */
  heartbeatMs: number;
  /** How often the agents list polls for changes. */
  pollMs: number;
  /** Saves agents' machines as snapshots; null without Docker access. */
  machines: Pick<Sandbox, 'snapshot'> | null;
  /** Opens web terminals into agents' machines; null without Docker access. */
  terminals: MachineTerminals | null;
  terminalTickets: TerminalTicketStore;
  /** The web terminals open in this process (closed on sign-out and shutdown). */
  liveTerminals: LiveTerminals;
  /** How often an open web terminal checks that its person still has access. */
  terminalRecheckMs: number;
}
