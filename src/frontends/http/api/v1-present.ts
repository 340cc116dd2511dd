import { agentRepositories, isActive, repoLabel, type Agent, type AgentStatus } from '../../../core/index.js';
import type { Scrubber } from '../../../redact/scrubber.js';
import type { AgentRun, RunOutcome } from '../../../store/redis/index.js';

/** Cursor's v1 run statuses. */
export type RunStatus = 'CREATING' | 'RUNNING' | 'FINISHED' | 'ERROR' | 'CANCELLED' | 'EXPIRED';

const runStatusOf: Record<AgentStatus, RunStatus> = {
  queued: 'CREATING',
  preparing: 'CREATING',
  running: 'RUNNING',
  finished: 'FINISHED',
  failed: 'ERROR',
  stopped: 'CANCELLED',
  expired: 'EXPIRED',
};

export function runStatus(status: AgentStatus): RunStatus {
  return runStatusOf[status];
}

export function runIsOver(status: RunStatus): boolean {
  return status !== 'CREATING' && status !== 'RUNNING';
}

/** How the agent's current run ended, to fix on that run when the next one starts. */
export function outcomeOf(agent: Agent): RunOutcome {
  const status = runStatus(agent.status);
  return {
    status: status === 'CREATING' || status === 'RUNNING' ? 'FINISHED' : status,
    finishedAt: agent.finishedAt,
    result: agent.summary,
    prUrl: agent.prUrl,
    error: agent.error,
  };
}

export interface V1Agent {
  id: string;
  name: string;
  status: 'ACTIVE' | 'ARCHIVED';
  url: string;
  createdAt: string;
  updatedAt: string;
  latestRunId: string | null;
  repos: { url: string; startingRef: string | null }[];
  branchName: string;
  prUrl: string | null;
  autoCreatePR: boolean;
  model: { id: string };
  mode: Agent['mode'];
  archivedAt: string | null;
  // Errand's extensions.
  errandStatus: AgentStatus;
  summary: string | null;
}

export function presentV1Agent(agent: Agent, latest: AgentRun | null, archivedAt: string | null, baseUrl: string, scrubber: Scrubber): V1Agent {
  return {
    id: agent.id,
    name: scrubber.scrub(agent.title),
    status: archivedAt ? 'ARCHIVED' : 'ACTIVE',
    url: `${baseUrl}/agents/${agent.id}`,
    createdAt: agent.createdAt,
    updatedAt: agent.updatedAt,
    latestRunId: latest?.id ?? null,
    repos: agentRepositories(agent).map((r) => ({ url: repoLabel(r.repo), startingRef: r.primary ? agent.baseBranch : null })),
    branchName: agent.branch,
    prUrl: agent.prUrl,
    autoCreatePR: agent.autoPr,
    model: { id: agent.model },
    mode: agent.mode,
    archivedAt,
    errandStatus: agent.status,
    summary: agent.summary === null ? null : scrubber.scrub(agent.summary),
  };
}

export interface V1Run {
  id: string;
  agentId: string;
  status: RunStatus;
  prompt: { text: string };
  createdAt: string;
  updatedAt: string;
  finishedAt: string | null;
  durationMs: number | null;
  result: string | null;
  git: { branches: { repoUrl: string | null; branch: string; prUrl: string | null }[] };
  error: { code: string; message: string } | null;
}

/**
 * A run as v1 shows it. The latest run's state is the agent's; an earlier run's was fixed when the
 * next one started.
 */
export function presentRun(run: AgentRun, agent: Agent, latest: boolean, scrubber: Scrubber): V1Run {
  const live = latest && !run.outcome;
  const status: RunStatus = live ? runStatus(agent.status) : (run.outcome?.status ?? 'FINISHED');
  const finishedAt = live ? (isActive(agent.status) ? null : agent.finishedAt) : (run.outcome?.finishedAt ?? null);
  const result = live ? (isActive(agent.status) ? null : agent.summary) : (run.outcome?.result ?? null);
  const prUrl = live ? agent.prUrl : (run.outcome?.prUrl ?? null);
  const error = live ? (isActive(agent.status) ? null : agent.error) : (run.outcome?.error ?? null);
  return {
    id: run.id,
    agentId: agent.id,
    status,
    prompt: { text: scrubber.scrub(run.prompt) },
    createdAt: run.createdAt,
    updatedAt: live ? agent.updatedAt : (finishedAt ?? run.createdAt),
    finishedAt,
    durationMs: finishedAt ? Math.max(0, Date.parse(finishedAt) - Date.parse(run.createdAt)) : null,
    result: result === null ? null : scrubber.scrub(result),
    git: { branches: runBranches(agent, prUrl) },
    error: error ? { code: error.code, message: scrubber.scrub(error.message) } : null,
  };
}

/**
 * A run's branches: one per repository of the agent (the primary first, with the run's own pull
 * request; the others with theirs), or the branch alone for an agent without a repository.
 */
function runBranches(agent: Agent, prUrl: string | null): V1Run['git']['branches'] {
  const repos = agentRepositories(agent);
  if (repos.length === 0) return [{ repoUrl: null, branch: agent.branch, prUrl }];
  return repos.map((r) => ({ repoUrl: repoLabel(r.repo), branch: r.branch, prUrl: r.primary ? prUrl : r.prUrl }));
}
