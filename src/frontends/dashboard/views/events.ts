import { stepOutcome, type Agent, type LogPhase, type StoredEvent } from '../../../core/index.js';
import type { Scrubber } from '../../../redact/scrubber.js';
import { html, type SafeHtml } from '../html.js';
import { renderMarkdown } from '../markdown.js';
import { ago, statusLabel } from './parts.js';

/** Lines kept per log phase on the page (the script keeps to the same cap). */
export const logLinesKept = 400;

/** Phases shown as the environment's logs; `terminal` has its own section. */
export const environmentPhases: readonly LogPhase[] = ['environment', 'build', 'install', 'start', 'git', 'agent'];

const phaseLabels: Record<LogPhase, string> = {
  environment: 'Environment',
  build: 'Image build',
  install: 'Install',
  start: 'Start command',
  terminal: 'Terminals',
  git: 'Git',
  agent: 'Agent commands',
};

export function phaseLabel(phase: LogPhase): string {
  return phaseLabels[phase];
}

/** What a tool call was about, in a few words: the command, the path, or the start of its arguments. */
export function argsPreview(args: string): string {
  try {
    const parsed = JSON.parse(args) as Record<string, unknown>;
    for (const field of ['command', 'path', 'pattern', 'query', 'window', 'summary']) {
      const value = parsed[field];
      if (typeof value === 'string' && value) return value.length > 120 ? `${value.slice(0, 119)}…` : value;
    }
  } catch {
    // Not JSON: show it as it is.
  }
  return args.length > 120 ? `${args.slice(0, 119)}…` : args;
}

/** Agent-written Markdown (scrubbed first) rendered as HTML: raw HTML stays text, links only http(s)/mailto. */
export function markdownBlock(scrubbedText: string): SafeHtml {
  return html`<div class="text md">${renderMarkdown(scrubbedText)}</div>`;
}

/** Events the page shows when the transcript may not be kept (privacy mode after the run). */
function allowedAfterPrivacy(event: StoredEvent): boolean {
  return event.type === 'status' || event.type === 'milestone' || event.type === 'error';
}

/** Whether the transcript (messages, tool steps, logs, diffs) may be shown now. */
export function transcriptVisible(agent: Agent): boolean {
  return !agent.privacy || agent.status === 'queued' || agent.status === 'preparing' || agent.status === 'running';
}

export function visibleEvents(agent: Agent, events: StoredEvent[]): StoredEvent[] {
  return transcriptVisible(agent) ? events : events.filter(allowedAfterPrivacy);
}

/**
 * The conversation and tool steps, oldest first: the prompt, the model's messages (and its reasoning,
 * folded, when the provider returns it), each tool call
 * with its result folded under it, follow-ups, status changes and the summary. The page's script
 * renders live events into the same shapes (assets/dashboard.js).
 */
export function transcript(agent: Agent, events: StoredEvent[], scrubber: Scrubber, now: Date): SafeHtml {
  const s = (text: string) => scrubber.scrub(text);
  const results = new Map<string, Extract<StoredEvent, { type: 'tool_result' }>>();
  const live = new Map<string, string>();
  for (const event of events) {
    if (event.type === 'tool_result') results.set(event.callId, event);
    if (event.type === 'tool_output') live.set(event.callId, (live.get(event.callId) ?? '') + event.text);
  }
  const items: SafeHtml[] = [
    html`<li class="msg user"><p class="who">${agent.owner.name} asked ${ago(agent.createdAt, now)}</p><div class="text">${s(agent.prompt)}</div></li>`,
  ];
  for (const event of events) {
    switch (event.type) {
      case 'model_message':
        if (event.text.trim()) items.push(html`<li class="msg agent" data-event-id="${event.id}"><p class="who">Agent</p>${markdownBlock(s(event.text))}</li>`);
        break;
      case 'thinking':
        if (event.text.trim()) items.push(html`<li class="msg thinking" data-event-id="${event.id}"><details><summary class="who">Thinking</summary><div class="text">${s(event.text)}</div></details></li>`);
        break;
      case 'tool_call':
        items.push(toolStep(event, results.get(event.callId), live.get(event.callId) ?? '', s));
        break;
      case 'follow_up':
        items.push(html`<li class="msg user" data-event-id="${event.id}"><p class="who">${event.author.name} followed up ${ago(event.at, now)}</p><div class="text">${s(event.text)}</div></li>`);
        break;
      case 'status':
        items.push(html`<li class="note" data-event-id="${event.id}">${statusLabel(event.status)}${event.message ? html` · ${s(event.message)}` : ''} ${ago(event.at, now)}</li>`);
        break;
      case 'milestone':
        items.push(html`<li class="note milestone" data-event-id="${event.id}">${s(event.text)}</li>`);
        break;
      case 'summary':
        items.push(html`<li class="msg summary" data-event-id="${event.id}"><p class="who">Summary</p>${markdownBlock(s(event.text))}${event.diffstat && html`<pre class="diffstat">${s(event.diffstat)}</pre>`}${event.prUrl && html`<p><a href="${event.prUrl}" rel="noopener noreferrer">Pull request</a></p>`}</li>`);
        break;
      case 'error':
        items.push(html`<li class="note error" data-event-id="${event.id}"><strong>${event.code}</strong>: ${s(event.message)}</li>`);
        break;
      case 'egress':
        items.push(html`<li class="note egress${event.allowed ? '' : ' error'}" data-event-id="${event.id}">network ${event.phase}: ${event.allowed ? 'allowed' : html`<strong>blocked</strong>`} <code>${event.host}:${String(event.port)}</code> (${event.reason}${event.allowed ? `, ${bytes(event.bytesUp)} up, ${bytes(event.bytesDown)} down` : ''})</li>`);
        break;
      case 'log':
      case 'tool_result':
      case 'tool_output':
        break;
    }
  }
  return html`${items}`;
}

/**
 * One tool step: the call, its outcome in words (failed with the exit code, or ok) and duration,
 * and its output: the live output while it runs (open), the result once it has one.
 */
function toolStep(call: Extract<StoredEvent, { type: 'tool_call' }>, result: Extract<StoredEvent, { type: 'tool_result' }> | undefined, live: string, s: (text: string) => string): SafeHtml {
  const state = result ? (result.ok ? 'ok' : 'fail') : 'pending';
  const label = result ? stepOutcome(result) : 'running…';
  return html`<li class="step${result && !result.ok ? ' failed' : ''}" data-event-id="${call.id}" data-call="${call.callId}"><details${result ? '' : html` open`}><summary><span class="tool">${call.name}</span> <code>${s(argsPreview(call.args))}</code> <span class="result ${state}"${result?.exitCode !== undefined ? html` data-exit="${String(result.exitCode)}"` : ''}>${label}</span></summary><pre class="args">${s(call.args)}</pre><pre class="output" tabindex="0">${s(result ? result.output : live)}</pre></details></li>`;
}

function bytes(n: number): string {
  return n < 1024 ? `${n} B` : n < 1024 * 1024 ? `${(n / 1024).toFixed(1)} kB` : `${(n / 1024 / 1024).toFixed(1)} MB`;
}

/** Log lines by phase, in the order phases first appeared, each cut to its last lines. */
export function logsByPhase(events: StoredEvent[], phases: readonly LogPhase[]): Map<LogPhase, string[]> {
  const byPhase = new Map<LogPhase, string[]>();
  for (const event of events) {
    if (event.type !== 'log' || !phases.includes(event.phase)) continue;
    const lines = byPhase.get(event.phase) ?? [];
    lines.push(...event.text.replace(/\n$/, '').split('\n'));
    if (lines.length > logLinesKept) lines.splice(0, lines.length - logLinesKept);
    byPhase.set(event.phase, lines);
  }
  return byPhase;
}

export function logSections(byPhase: Map<LogPhase, string[]>, scrubber: Scrubber, openPhase: LogPhase | null): SafeHtml {
  return html`${[...byPhase.entries()].map(
    ([phase, lines]) =>
      html`<details class="phase" data-phase="${phase}"${phase === openPhase ? html` open` : ''}><summary>${phaseLabel(phase)} <span class="count">${lines.length} line${lines.length === 1 ? '' : 's'}</span></summary><pre tabindex="0">${scrubber.scrub(lines.join('\n'))}</pre></details>`,
  )}`;
}
