import type { Conversation } from './conversation.js';
import type { Principal } from './principal.js';
import type { AgentStatus } from './status.js';

/**
 * `agent` edits and pushes; `ask` answers only; `plan` explores and writes a plan (no edits, nothing
 * pushed) that a follow-up in `agent` mode carries out.
 */
export type AgentMode = 'agent' | 'ask' | 'plan';

export const agentModes: readonly AgentMode[] = ['agent', 'ask', 'plan'];

export function isAgentMode(value: string): value is AgentMode {
  return (agentModes as readonly string[]).includes(value);
}

/** A repository the agent works on: a GitHub full name or any git URL. */
export interface RepoRef {
  /** `owner/name` on the configured GitHub, or an https/ssh/file URL of any git remote. */
  url: string;
  /** `owner/name` when the repo lives on the configured GitHub. */
  fullName?: string;
}

/**
 * A repository the agent works on besides its primary one (the later entries of `repos`): cloned on
 * the worker host like the primary, copied into the machine at `/workspace/<path>` on the agent's
 * branch, committed, pushed and given its own pull request only when it changed.
 */
export interface ExtraRepo {
  repo: RepoRef;
  /** Folder under /workspace: the repository's name, or `owner-name` when that is taken. */
  path: string;
  prUrl: string | null;
  prNumber: number | null;
}

export interface TokenUsage {
  inputTokens: number;
  outputTokens: number;
}

export interface Agent {
  id: string;
  /** Who asked for it; follow-up and stop rights start from here. */
  owner: Principal;
  workspace: string;
  title: string;
  prompt: string;
  /** What the agent should know besides the prompt: the Slack thread so far, a review comment's diff hunk. */
  context: string | null;
  repo: RepoRef | null;
  /** Further repositories of a multi-repository agent (absent or empty: only `repo`). */
  extraRepos?: ExtraRepo[];
  /** Base branch; null means the repository's default branch. */
  baseBranch: string | null;
  /** The agent's own branch, `errand/<slug>-<short id>`, or a pull request's head branch. */
  branch: string;
  model: string;
  mode: AgentMode;
  autoPr: boolean;
  status: AgentStatus;
  /** Every place that follows this agent: the thread it started in, then any PR it is mentioned in. */
  conversations: Conversation[];
  prUrl: string | null;
  prNumber: number | null;
  summary: string | null;
  error: { code: string; message: string } | null;
  /** Names (never values) of the session environment variables given at launch (`envVars`). */
  envVarNames?: string[];
  /** Fixed at launch: no transcript, code or diffs are kept past the run or posted externally. */
  privacy: boolean;
  usage: TokenUsage;
  /** Bumped by the store on every write; lets the store detect lost updates. */
  version: number;
  createdAt: string;
  updatedAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  expiresAt: string;
}
