import type { ApiAgentView, StreamedEvent } from './api-client.js';

const oneLine = (text: string, max = 160) => {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
};

const str = (value: unknown) => (typeof value === 'string' ? value : '');

/**
 * Text from the server (titles, summaries, command output, model text) made safe to print on a
 * terminal: ANSI sequences dropped, every other control character but newline and tab shown as `?`,
 * so nothing an agent, a model or a requester wrote can move the cursor, retitle the window or
 * rewrite what the screen shows.
 */
export function printable(text: string): string {
  return text.replace(/\x1b\[[0-?]*[ -/]*[@-~]/g, '').replace(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/g, '?');
}

const printableOrNull = (text: string | null) => (text === null ? null : printable(text));

/** "failed · exit 127 · 1.2 s": a step's outcome as the API's event carries it. */
function stepOutcome(d: Record<string, unknown>): string {
  const parts = [d['timedOut'] === true ? 'timed out' : d['ok'] === false ? 'failed' : 'ok'];
  if (typeof d['exitCode'] === 'number' && (d['exitCode'] !== 0 || d['ok'] === false)) parts.push(`exit ${d['exitCode']}`);
  if (typeof d['durationMs'] === 'number') parts.push(d['durationMs'] < 1000 ? `${d['durationMs']} ms` : `${(d['durationMs'] / 1000).toFixed(1)} s`);
  return parts.join(' · ');
}

/**
 * One line (or null to skip) for an event. `verbose` adds command output and tool results, which
 * `errand logs` shows and `errand run` keeps in its status line only.
 */
export function renderEvent(event: StreamedEvent, verbose: boolean): string | null {
  return printableOrNull(eventLine(event, verbose));
}

function eventLine(event: StreamedEvent, verbose: boolean): string | null {
  const d = event.data;
  switch (event.event) {
    case 'status':
      return `status: ${str(d['apiStatus']) || str(d['status'])}${d['message'] ? ` (${str(d['message'])})` : ''}`;
    case 'milestone':
      return `• ${oneLine(str(d['text']))}`;
    case 'model_message':
      return `agent: ${verbose ? str(d['text']).trim() : oneLine(str(d['text']), 400)}`;
    case 'thinking':
      return verbose ? `thinking: ${str(d['text']).trim()}` : null;
    case 'tool_call':
      return `→ ${str(d['name'])} ${oneLine(str(d['args']), 100)}`;
    case 'tool_result': {
      const failed = d['ok'] === false;
      if (!verbose && !failed) return null;
      return `  ${failed ? '✗' : '✓'} ${str(d['name'])} ${stepOutcome(d)}${failed ? `: ${oneLine(str(d['output']), 200)}` : ''}`;
    }
    case 'tool_output':
      return verbose ? str(d['text']).replace(/\n$/, '').split('\n').map((line) => `  │ ${line}`).join('\n') : null;
    case 'log':
      return verbose ? `[${str(d['phase'])}] ${str(d['text']).replace(/\n+$/, '')}` : null;
    case 'follow_up':
      return `follow-up from ${str((d['author'] as Record<string, unknown> | undefined)?.['name']) || 'someone'}: ${oneLine(str(d['text']))}`;
    case 'summary':
      return verbose ? `summary: ${str(d['text'])}` : null;
    case 'error':
      return `error (${str(d['code'])}): ${str(d['message'])}`;
    case 'egress':
      return d['allowed'] === false ? `network blocked: ${str(d['host'])}:${String(d['port'])} (${str(d['reason'])})` : verbose ? `network: ${str(d['host'])}:${String(d['port'])}` : null;
    default:
      return null;
  }
}

/** A short "what is it doing" for the live status line. */
export function activityOf(event: StreamedEvent): string | null {
  return printableOrNull(activityLine(event));
}

function activityLine(event: StreamedEvent): string | null {
  const d = event.data;
  switch (event.event) {
    case 'tool_call':
      return `${str(d['name'])} ${oneLine(str(d['args']), 60)}`;
    case 'log':
      return oneLine(str(d['text']), 60) || null;
    case 'tool_output': {
      const lines = str(d['text']).split('\n').filter((line) => line.trim());
      return lines.length > 0 ? `│ ${oneLine(lines[lines.length - 1]!, 60)}` : null;
    }
    case 'milestone':
      return oneLine(str(d['text']), 60);
    case 'model_message':
    case 'thinking':
      return 'thinking';
    default:
      return null;
  }
}

export function elapsed(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const m = Math.floor(s / 60);
  return m > 0 ? `${m}m ${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

/** The end of `errand run` and the body of `errand show`. */
export function renderOutcome(agent: ApiAgentView): string {
  const lines: string[] = [];
  lines.push(`${agent.status} ${agent.id}: ${agent.name}`);
  if (agent.error) lines.push(`error (${agent.error.code}): ${agent.error.message}`);
  if (agent.summary) lines.push('', 'Summary:', ...agent.summary.trim().split('\n').map((l) => `  ${l}`), '');
  if (agent.target?.prUrl) lines.push(`Pull request: ${agent.target.prUrl}`);
  if (agent.target?.branchName) lines.push(`Branch: ${agent.target.branchName}${agent.source?.repository ? ` on ${agent.source.repository}` : ''}`);
  return printable(lines.join('\n'));
}

export function renderDetails(agent: ApiAgentView): string {
  const rows: [string, string | null | undefined][] = [
    ['id', agent.id],
    ['name', agent.name],
    ['status', `${agent.status}${agent.errandStatus ? ` (${agent.errandStatus})` : ''}`],
    ['repo', agent.source?.repository ?? null],
    ['base', agent.source?.ref ?? null],
    ['branch', agent.target?.branchName],
    ['pr', agent.target?.prUrl ?? null],
    ['model', agent.model],
    ['mode', agent.mode],
    ['created', agent.createdAt],
    ['finished', agent.finishedAt ?? null],
    ['error', agent.error ? `${agent.error.code}: ${agent.error.message}` : null],
  ];
  const out = rows.filter(([, v]) => v).map(([k, v]) => `${k.padEnd(9)} ${v}`);
  if (agent.summary) out.push('', 'Summary:', ...agent.summary.trim().split('\n').map((l) => `  ${l}`));
  return printable(out.join('\n'));
}

export function renderTable(agents: ApiAgentView[]): string {
  if (agents.length === 0) return 'no agents';
  const rows = agents.map((a) => [a.id, a.status, (a.createdAt ?? '').slice(0, 16).replace('T', ' '), a.source?.repository ?? '-', oneLine(a.name, 50)]);
  const header = ['ID', 'STATUS', 'CREATED', 'REPO', 'NAME'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  return printable([header, ...rows].map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ')).join('\n'));
}
