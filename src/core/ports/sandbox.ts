import type { LogPhase } from '../events.js';

/** What the worker needs to bring up an agent's machine. */
export interface SandboxSpec {
  agentId: string;
  /** The agent's workspace (tenant): install snapshots and build caches are never shared across workspaces. */
  workspace: string;
  /** A host directory holding the repository checkout (the environment file is read from it). */
  repoDir: string;
  /** `owner/name`: labels snapshot images so old ones are pruned per repository (default: repoDir's folder name). */
  repo?: string;
  /** Environment variables for install only (secrets marked for install). */
  installEnv?: Record<string, string>;
  /**
   * Names and versions (never values) of the install-phase secrets, e.g. `NPM_TOKEN@2026-01-01T…`:
   * part of the install snapshot key, so a changed or removed secret installs again.
   */
  installSecretVersions?: string[];
  /** Environment variables for `start` and the terminals (the agent-phase secrets). */
  agentEnv?: Record<string, string>;
  /** Host checkouts of `repositoryDependencies`, copied to `/workspace-deps/<name>` before install. */
  dependencies?: { name: string; dir: string }[];
  /**
   * Environment file text kept in Errand's settings for this repository; used when the checkout has
   * no environment file of its own.
   */
  environmentText?: string;
  network?: 'none' | 'host' | 'bridge' | (string & {});
  /**
   * The agent's egress proxy (network `none` only): a sidecar bridges the container's loopback
   * port 3128 to the socket in `socketDir`, and the proxy variables are set in the container.
   * `enterAgentPhase` is called right before the terminals open.
   */
  egress?: { socketDir: string; enterAgentPhase: () => void };
  signal?: AbortSignal;
  onLog?: (phase: LogPhase, stream: 'stdout' | 'stderr' | 'system', text: string) => void;
  onMilestone?: (name: 'environment_ready' | 'install_cached', text: string) => void;
}

export interface ExecOptions {
  cwd?: string;
  env?: Record<string, string>;
  user?: string;
  timeoutMs?: number;
  /** Output kept (head and tail) when a command prints more. */
  maxOutputBytes?: number;
  signal?: AbortSignal;
  onOutput?: (stream: 'stdout' | 'stderr', text: string) => void;
  stdin?: string;
}

export interface ExecResult {
  exitCode: number;
  output: string;
  truncated: boolean;
  timedOut: boolean;
  aborted: boolean;
  /** A timed-out or aborted command could not be stopped: its processes may still run. */
  stillRunning?: boolean;
}

/** Paths relative to /workspace that the agent changed since the environment became ready. */
export interface WorkspaceChanges {
  /** New or modified files (and symlinks). */
  changed: string[];
  deleted: string[];
}

/** What the agent is told about /workspace, read while the machine got ready (saves the engine its own trips). */
export interface PreparedFacts {
  /** AGENTS.md / README excerpts. */
  notes: string;
  /** Top-level entries of /workspace. */
  topLevel: string;
  terminals: string[];
  /** Folders under /workspace-deps. */
  dependencies: string[];
}

export interface FindOptions {
  /** Environment for `start` and the terminals when a stopped machine is started again (agent secrets). */
  env?: Record<string, string>;
  onLog?: SandboxSpec['onLog'];
  /**
   * The egress socket directory the agent's sidecar mounted is still in place (EgressSession.kept):
   * a running machine's sidecar is then left as it is instead of restarted.
   */
  egressKept?: boolean;
  /** Read what the system prompt tells the agent (handle.preparedFacts) in one exec with the rest. */
  facts?: boolean;
}

/** What `park` did: the machine stays running for the idle grace (`warm`), or was stopped. */
export type Parked = 'warm' | 'stopped';

/** When an agent's last run ended (ms since the epoch); null while it is queued or running (or gone). */
export type SettledAt = (agentId: string) => Promise<number | null>;

export interface SandboxHandle {
  readonly agentId: string;
  readonly containerId: string;
  /** `/workspace` inside the container. */
  readonly workdir: string;
  /** The user commands run as unless ExecOptions.user says otherwise (the environment's `user`). */
  readonly user: string;
  /** Read at the end of prepare, or by `find` when asked; otherwise absent and the engine reads them itself. */
  readonly preparedFacts?: PreparedFacts | undefined;
  /** A machine found running (kept warm after its last run): nothing was started or rerun. */
  readonly warm?: boolean;
  /**
   * Settles when the machine is ready for commands: a new machine opens its terminals and records
   * its ready state while the first model call is in flight. Rejects with what failed; the first
   * tool call waits for it, and a failure fails the run. Absent: ready already.
   */
  readonly whenReady?: Promise<void> | undefined;
  exec(command: string, options?: ExecOptions): Promise<ExecResult>;
  /** The last `lines` lines of a tmux terminal window. */
  terminalOutput(name: string, lines?: number): Promise<string>;
  terminals(): Promise<string[]>;
  /** A tar stream of a path inside the container (the host reads the agent's work this way). */
  readArchive(path: string): Promise<NodeJS.ReadableStream>;
  /** Unpacks a tar stream into a path inside the container. */
  writeArchive(path: string, tar: NodeJS.ReadableStream | Buffer): Promise<void>;
  /**
   * What changed in /workspace since the environment became ready (gitignored files aside), so
   * install and start output stays out of the commit; null when no ready state was recorded.
   */
  changesSinceReady(): Promise<WorkspaceChanges | null>;
}

/** Removes an agent's container (and its own images): the sandbox itself, or a signal to a worker that has one. */
export interface ContainerRemover {
  remove(agentId: string): Promise<void>;
}

export interface Sandbox {
  /** Builds or reuses the image, starts the container, installs, starts and opens terminals. */
  prepare(spec: SandboxSpec): Promise<SandboxHandle>;
  /**
   * Re-attaches to an agent's container if it still exists. A running one (kept warm after its
   * last run) is used as it is; a stopped one is started again, and its `start` command and
   * terminals run again.
   */
  find(agentId: string, options?: FindOptions): Promise<SandboxHandle | null>;
  /**
   * Saves the agent's machine as its repository's snapshot in its workspace (`errand snapshot`):
   * new agents for that repository in that workspace start from it. Returns the image id.
   */
  snapshot(agentId: string, target: { workspace: string; repo: string }): Promise<string>;
  /**
   * The agent's run ended: its container is stopped (keeping its files for a follow-up or attach),
   * at once or, when machines are kept warm, after the idle grace unless a follow-up claims it first.
   */
  park(agentId: string): Promise<Parked>;
  /**
   * A machine parked `warm` got its last change from the run (its `.git`): what the system prompt
   * tells the agent is read now and kept, so a follow-up that finds it still idle need not read it.
   * Never fails (a follow-up then reads them itself).
   */
  keepFacts?(agentId: string): Promise<void>;
  /**
   * After a worker restart: takes over the idle timers of running machines whose agents have
   * settled (stopping those past their grace now), so no machine stays running forever.
   */
  adoptIdle?(settledAt: SettledAt): Promise<void>;
  /** Called after an idle machine was stopped, so the worker can drop what it kept for it. */
  onIdleStopped?(listener: (agentId: string) => void): void;
  /** Worker shutdown: forgets the idle timers; the machines keep running and the next worker adopts them. */
  close?(): void;
  remove(agentId: string): Promise<void>;
}
