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
}

export interface DiffStore {
  save(agentId: string, diff: AgentDiff, expiresAt: string): Promise<void>;
  load(agentId: string): Promise<AgentDiff | null>;
  clear(agentId: string): Promise<void>;
}
