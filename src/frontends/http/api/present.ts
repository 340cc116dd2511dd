import { agentRepositories, repoLabel, type Agent, type AgentStatus, type StoredEvent } from '../../../core/index.js';
import type { Scrubber } from '../../../redact/scrubber.js';

/** Cursor's v0 status names, plus STOPPED (Errand's extension). */
export type ApiStatus = 'CREATING' | 'RUNNING' | 'FINISHED' | 'ERROR' | 'STOPPED' | 'EXPIRED';

const apiStatusOf: Record<AgentStatus, ApiStatus> = {
  queued: 'CREATING',
  preparing: 'CREATING',
  running: 'RUNNING',
  finished: 'FINISHED',
  failed: 'ERROR',
  stopped: 'STOPPED',
  expired: 'EXPIRED',
};

export function apiStatus(status: AgentStatus): ApiStatus {
  return apiStatusOf[status];
}

/** `?status=RUNNING,finished`: API names or Errand's own; unknown names are refused by the caller. */
export function statusesFor(name: string): AgentStatus[] | null {
  const lower = name.trim().toLowerCase();
  const own = Object.keys(apiStatusOf).find((s) => s === lower) as AgentStatus | undefined;
  if (own) return [own];
  const matching = (Object.entries(apiStatusOf) as [AgentStatus, ApiStatus][]).filter(([, api]) => api.toLowerCase() === lower).map(([s]) => s);
  return matching.length > 0 ? matching : null;
}

export interface ApiAgent {
  id: string;
  name: string;
  status: ApiStatus;
  source: { repository: string | null; ref: string | null };
  target: {
    branchName: string;
    url: string;
    prUrl: string | null;
    autoCreatePr: boolean;
    /** Errand's extension: every repository of the agent (the primary first) with its branch and pull request. */
    repositories: { repository: string; path: string; branchName: string; prUrl: string | null }[];
  };
  summary: string | null;
  createdAt: string;
  // Errand's extensions.
  errandStatus: AgentStatus;
  model: string;
  mode: Agent['mode'];
  privacy: boolean;
  owner: { id: string; name: string };
  error: { code: string; message: string } | null;
  updatedAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  expiresAt: string;
  usage: Agent['usage'];
  links: { self: string; conversation: string; events: string };
}

/** An agent as the API shows it: Cursor's fields first, Errand's after; free text scrubbed. */
export function presentAgent(agent: Agent, baseUrl: string, scrubber: Scrubber): ApiAgent {
  const self = `${baseUrl}/v0/agents/${agent.id}`;
  return {
    id: agent.id,
    name: scrubber.scrub(agent.title),
    status: apiStatus(agent.status),
    source: { repository: agent.repo ? repoLabel(agent.repo) : null, ref: agent.baseBranch },
    target: {
      branchName: agent.branch,
      url: `${baseUrl}/agents/${agent.id}`,
      prUrl: agent.prUrl,
      autoCreatePr: agent.autoPr,
      repositories: agentRepositories(agent).map((r) => ({ repository: repoLabel(r.repo), path: r.dir, branchName: r.branch, prUrl: r.prUrl })),
    },
    summary: agent.summary === null ? null : scrubber.scrub(agent.summary),
    createdAt: agent.createdAt,
    errandStatus: agent.status,
    model: agent.model,
    mode: agent.mode,
    privacy: agent.privacy,
    owner: { id: agent.owner.id, name: agent.owner.name },
    error: agent.error ? { code: agent.error.code, message: scrubber.scrub(agent.error.message) } : null,
    updatedAt: agent.updatedAt,
    startedAt: agent.startedAt,
    finishedAt: agent.finishedAt,
    expiresAt: agent.expiresAt,
    usage: agent.usage,
    links: { self, conversation: `${self}/conversation`, events: `${self}/events` },
  };
}

export interface ConversationMessage {
  id: string;
  type: 'user_message' | 'assistant_message';
  text: string;
  // Errand's extensions.
  at: string;
  author?: string;
}

/**
 * The conversation as Cursor's API shows it: the prompt, follow-ups and the model's messages, in
 * order. Derived from the event log, so a privacy-mode agent has only its prompt once its run ends.
 */
export function conversationOf(agent: Agent, events: StoredEvent[], scrubber: Scrubber): ConversationMessage[] {
  const messages: ConversationMessage[] = [{ id: `${agent.id}-prompt`, type: 'user_message', text: scrubber.scrub(agent.prompt), at: agent.createdAt, author: agent.owner.name }];
  for (const event of events) {
    if (event.type === 'follow_up') messages.push({ id: event.id, type: 'user_message', text: scrubber.scrub(event.text), at: event.at, author: event.author.name });
    if (event.type === 'model_message' && event.text.trim()) messages.push({ id: event.id, type: 'assistant_message', text: scrubber.scrub(event.text), at: event.at });
  }
  return messages;
}

/** One tool step as the conversation endpoint shows it (Errand's extension): failed commands say so. */
export interface ConversationStep {
  id: string;
  callId: string;
  name: string;
  args: string;
  /** `running` until the step has a result. */
  status: 'ok' | 'failed' | 'running';
  exitCode: number | null;
  timedOut: boolean;
  durationMs: number | null;
  at: string;
}

/** The agent's tool steps in order, each with its outcome, exit code and duration. */
export function stepsOf(events: StoredEvent[], scrubber: Scrubber): ConversationStep[] {
  const results = new Map<string, Extract<StoredEvent, { type: 'tool_result' }>>();
  for (const event of events) if (event.type === 'tool_result') results.set(event.callId, event);
  const steps: ConversationStep[] = [];
  for (const event of events) {
    if (event.type !== 'tool_call') continue;
    const result = results.get(event.callId);
    steps.push({
      id: event.id,
      callId: event.callId,
      name: event.name,
      args: scrubber.scrub(event.args),
      status: result ? (result.ok ? 'ok' : 'failed') : 'running',
      exitCode: result?.exitCode ?? null,
      timedOut: result?.timedOut ?? false,
      durationMs: result?.durationMs ?? null,
      at: event.at,
    });
  }
  return steps;
}
