import type { LogPhase } from '../events.js';

/** What the worker needs to bring up an agent's machine. */
export interface SandboxSpec {
  agentId: string;
  /** A host directory holding the repository checkout (the environment file is read from it). */
  repoDir: string;
  /** `owner/name`: labels snapshot images so old ones are pruned per repository (default: repoDir's folder name). */
  repo?: string;
  /** Environment variables for install only (secrets marked for install). */
  installEnv?: Record<string, string>;
  network?: 'none' | 'host' | 'bridge' | (string & {});
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
}

export interface SandboxHandle {
  readonly agentId: string;
  readonly containerId: string;
  /** `/workspace` inside the container. */
  readonly workdir: string;
  /** The user commands run as unless ExecOptions.user says otherwise (the environment's `user`). */
  readonly user: string;
  exec(command: string, options?: ExecOptions): Promise<ExecResult>;
  /** The last `lines` lines of a tmux terminal window. */
  terminalOutput(name: string, lines?: number): Promise<string>;
  terminals(): Promise<string[]>;
  /** A tar stream of a path inside the container (the host reads the agent's work this way). */
  readArchive(path: string): Promise<NodeJS.ReadableStream>;
  /** Unpacks a tar stream into a path inside the container. */
  writeArchive(path: string, tar: NodeJS.ReadableStream | Buffer): Promise<void>;
}

/** Removes an agent's container (and its own images): the sandbox itself, or a signal to a worker that has one. */
export interface ContainerRemover {
  remove(agentId: string): Promise<void>;
}

export interface Sandbox {
  /** Builds or reuses the image, starts the container, installs, starts and opens terminals. */
  prepare(spec: SandboxSpec): Promise<SandboxHandle>;
  /** Re-attaches to an agent's container if it still exists. */
  find(agentId: string): Promise<SandboxHandle | null>;
  remove(agentId: string): Promise<void>;
}
