import { z } from 'zod';
import { currentStep, repoLabel, type Agent, type AgentStatus, type StoredEvent, type View } from '../../core/index.js';

/**
 * What the tracking comment of one agent in one conversation shows, folded from its events. One
 * comment per round: a resumed agent (a follow-up after it finished) gets a fresh comment.
 */
export const TrackingState = z.object({
  round: z.number().int().default(1),
  commentId: z.number().int().nullable().default(null),
  /** Set while a create is in flight; if it is still set later, the create's outcome is unknown. */
  pendingSince: z.string().nullable().default(null),
  lastEventId: z.string().nullable().default(null),
  status: z.string().default('queued'),
  startedAt: z.string().nullable().default(null),
  settledAt: z.string().nullable().default(null),
  environmentReady: z.boolean().default(false),
  installCached: z.boolean().default(false),
  pushed: z.boolean().default(false),
  prUrl: z.string().nullable().default(null),
  followUps: z.array(z.string()).default([]),
  latest: z.string().nullable().default(null),
  /** The step in flight ("running `npm test`"), cleared when it has its result. */
  step: z.string().nullable().default(null),
  /** The commit last pushed, from the `pushed` milestone. */
  pushedSha: z.string().nullable().default(null),
  summary: z.string().nullable().default(null),
  diffstat: z.string().nullable().default(null),
  error: z.object({ code: z.string(), message: z.string() }).nullable().default(null),
});
export type TrackingState = z.infer<typeof TrackingState>;

export function newTrackingState(round = 1): TrackingState {
  return TrackingState.parse({ round });
}

const settled = new Set(['finished', 'failed', 'stopped', 'expired']);

/** Stream ids (`1700000000000-0`) in order. */
export function eventIdAfter(id: string, than: string | null): boolean {
  if (!than) return true;
  const [ams = '0', aseq = '0'] = id.split('-');
  const [bms = '0', bseq = '0'] = than.split('-');
  return BigInt(ams) > BigInt(bms) || (ams === bms && BigInt(aseq) > BigInt(bseq));
}

/** True when this event starts a new round: the agent was settled and is queued again. */
export function startsNewRound(state: TrackingState, event: StoredEvent): boolean {
  return event.type === 'status' && settled.has(state.status) && !settled.has(event.status);
}

/** Applies one event. Events at or before `lastEventId` were applied already and change nothing. */
export function applyEvent(state: TrackingState, event: StoredEvent): TrackingState {
  if (!eventIdAfter(event.id, state.lastEventId)) return state;
  const next: TrackingState = { ...state, lastEventId: event.id, startedAt: state.startedAt ?? event.at };
  switch (event.type) {
    case 'status':
      next.status = event.status;
      next.step = null;
      if (event.status === 'running') next.environmentReady = true;
      if (settled.has(event.status)) next.settledAt = event.at;
      break;
    case 'milestone':
      if (event.name === 'environment_ready') next.environmentReady = true;
      if (event.name === 'install_cached') next.installCached = true;
      if (event.name === 'pushed') {
        next.pushed = true;
        if (typeof event.data?.sha === 'string' && event.data.sha) next.pushedSha = event.data.sha;
      }
      if ((event.name === 'pr_opened' || event.name === 'pr_updated') && typeof event.data?.url === 'string') next.prUrl = event.data.url;
      break;
    case 'follow_up':
      next.followUps = [...state.followUps, event.author.name];
      break;
    case 'model_message':
      next.latest = event.text;
      break;
    case 'summary':
      next.summary = event.text;
      next.diffstat = event.diffstat;
      next.prUrl = event.prUrl ?? next.prUrl;
      break;
    case 'error':
      next.error = { code: event.code, message: event.message };
      break;
    case 'tool_call': {
      const step = currentStep([event]);
      next.step = step ? `${step.verb}${step.detail ? ` \`${step.detail.replace(/`/g, 'ˋ')}\`` : ''}` : null;
      break;
    }
    case 'tool_result':
      next.step = null;
      break;
    case 'log':
    case 'tool_output':
      break;
  }
  return next;
}

export function trackingMarker(agentId: string, round: number): string {
  return `<!-- errand:tracking agent=${agentId} round=${round} -->`;
}

export interface RenderOptions {
  /** Link to the agent on Errand's dashboard, when ERRAND_PUBLIC_URL is set. */
  agentUrl: string | null;
}

/** The tracking comment's Markdown. Obeys the view: `status` shows status, links and error codes only. */
export function renderTracking(agent: Agent, state: TrackingState, view: View, options: RenderOptions): string {
  const status = state.status as AgentStatus;
  const took = state.startedAt && state.settledAt ? duration(Date.parse(state.settledAt) - Date.parse(state.startedAt)) : null;
  const prUrl = state.prUrl ?? agent.prUrl;
  const lines: string[] = [];
  switch (status) {
    case 'finished':
      lines.push(`✅ **Errand finished** in ${took ?? 'no time'}`);
      break;
    case 'failed':
      lines.push(`❌ **Errand failed** after ${took ?? 'no time'}`);
      break;
    case 'stopped':
      lines.push(`⏹️ **Errand was stopped** after ${took ?? 'no time'}`);
      break;
    case 'expired':
      lines.push('⌛ **This agent has expired**');
      break;
    case 'queued':
      lines.push(`⏳ **Errand is on it**: queued${state.round > 1 ? ' (resuming with your follow-up)' : ''}`);
      break;
    default:
      lines.push(`⏳ **Errand is working on it** (${status})`);
  }
  lines.push('');
  const links = [`Branch: \`${agent.branch}\``];
  if (prUrl) links.push(`Pull request: ${prUrl}`);
  for (const extra of agent.extraRepos ?? []) if (extra.prUrl) links.push(`${repoLabel(extra.repo)}: ${extra.prUrl}`);
  if (options.agentUrl) links.push(`[Details](${options.agentUrl})`);
  lines.push(links.join(' · '));
  lines.push('');
  const done = settled.has(status);
  const box = (checked: boolean, text: string) => `- [${checked ? 'x' : ' '}] ${text}`;
  lines.push(box(true, 'Queued'));
  lines.push(box(state.environmentReady || done, `Environment ready${state.installCached ? ' (cached install)' : ''}`));
  lines.push(box(status === 'finished', status === 'running' ? 'Working on it…' : 'Work done'));
  lines.push(box(state.pushed, state.pushed ? `Pushed \`${agent.branch}\`${state.pushedSha ? ` at ${state.pushedSha.slice(0, 7)}` : ''}` : done && agent.mode !== 'ask' ? 'Nothing was pushed' : `Pushed \`${agent.branch}\``));
  if (agent.autoPr) lines.push(box(Boolean(prUrl), prUrl ? `Pull request ${prUrl}` : 'Pull request'));
  if (state.followUps.length > 0) lines.push('', `📨 Follow-ups read by the agent: ${state.followUps.map((n) => `@${n}`).join(', ')}`);
  if (state.error && status !== 'finished') {
    lines.push('', view === 'full' ? `**Error** \`${state.error.code}\`: ${defuse(oneLine(state.error.message, 500))}` : `**Error** \`${state.error.code}\``);
  }
  if (view === 'full') {
    if (done && state.summary) {
      lines.push('', '### Summary', '', defuse(truncate(state.summary, 6_000)));
      if (state.diffstat) lines.push('', '```', truncate(state.diffstat, 2_000), '```');
    } else if (!done && (state.step || state.latest)) {
      lines.push('', state.step ? `<sub>Now ${defuse(oneLine(state.step, 300))}</sub>` : `<sub>Latest: ${defuse(oneLine(state.latest ?? '', 300))}</sub>`);
    }
  }
  lines.push('', trackingMarker(agent.id, state.round));
  return lines.join('\n');
}

export function duration(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m ${seconds % 60}s`;
  return `${Math.floor(minutes / 60)}h ${minutes % 60}m`;
}

function oneLine(text: string, max: number): string {
  return truncate(text.replace(/\s+/g, ' ').trim(), max);
}

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** Agent-written text must not ping people or teams: `@name` becomes `@\u200bname` (looks the same). */
export function defuse(text: string): string {
  return text.replace(/(^|[^\w`])@(?=[A-Za-z0-9])/g, '$1@\u200b');
}
