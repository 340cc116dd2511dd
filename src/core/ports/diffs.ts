/**
 * The agent's branch against its base as a unified diff, saved by the worker when it pushes
 * (scrubbed, capped; never for privacy-mode agents), for the dashboard's diff view.
 */
export interface AgentDiff {
  /** The unified diff; null when it passed the cap (`bytes` says how large it was). */
  text: string | null;
  bytes: number;
  base: string;
  branch: string;
  /** The commit the diff ends at. */
  sha: string | null;
  at: string;
  /** The agent's other repositories (several in one agent), each against its own base. */
  repos?: RepoDiff[];
}

/** One extra repository's branch against its base, as for the primary. */
export interface RepoDiff {
  /** `owner/name` (or the URL's label). */
  repo: string;
  /** Its folder under /workspace. */
  folder: string;
  text: string | null;
  bytes: number;
  base: string;
  sha: string | null;
}

export interface DiffStore {
  save(agentId: string, diff: AgentDiff, expiresAt: string): Promise<void>;
  load(agentId: string): Promise<AgentDiff | null>;
  clear(agentId: string): Promise<void>;
}
