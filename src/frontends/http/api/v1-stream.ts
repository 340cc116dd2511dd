import type { Response } from 'express';
import { isSettled, type Agent, type AgentStatus, type EventLog, type Log, type StoredEvent } from '../../../core/index.js';
import type { Scrubber } from '../../../redact/scrubber.js';
import { runStatus, type RunStatus } from './v1-present.js';
import { openEventStream } from './event-stream.js';

export interface RunStreamDeps {
  events: EventLog;
  agents: { get(agentId: string): Promise<Agent | null> };
  scrubber: Scrubber;
  log: Log;
  heartbeatMs: number;
}

/** What part of the agent's event log is this run's. */
export interface RunRange {
  runId: string;
  /** Events strictly after this id (from the start when null). */
  after: string | null;
  /** Events up to and including this id (the next run's boundary); null for the latest run. */
  until: string | null;
}

/** A typed v1 stream event: its name and data (null when the Errand event has no v1 counterpart). */
export function typedEvent(event: StoredEvent, runId: string): { event: string; data: Record<string, unknown> } | null {
  switch (event.type) {
    case 'status':
      return { event: 'status', data: { runId, status: runStatus(event.status), ...(event.message ? { message: event.message } : {}), at: event.at } };
    case 'model_message':
      return event.text.trim() ? { event: 'assistant', data: { runId, text: event.text, at: event.at } } : null;
    case 'thinking':
      return event.text.trim() ? { event: 'thinking', data: { runId, text: event.text, at: event.at } } : null;
    case 'tool_call':
      return { event: 'tool_call', data: { runId, callId: event.callId, name: event.name, status: 'started', args: argsObject(event.args), at: event.at } };
    case 'tool_result':
      return {
        event: 'tool_call',
        data: { runId, callId: event.callId, name: event.name, status: event.ok ? 'completed' : 'failed', result: event.ok ? { success: event.output } : { error: event.output }, at: event.at },
      };
    case 'summary':
      return { event: 'result', data: { runId, text: event.text, branch: event.branch, prUrl: event.prUrl, at: event.at } };
    case 'error':
      return { event: 'error', data: { runId, code: event.code, message: event.message, at: event.at } };
    default:
      return null;
  }
}

/** A tool call's arguments as an object (the engine keeps the model's JSON text). */
function argsObject(text: string): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
  } catch {
    // Not JSON: passed on as text below.
  }
  return { input: text };
}

/** `1700000000000-3` after `1700000000000-2`: stream ids compare by time, then sequence. */
export function eventIdAfter(a: string, b: string): boolean {
  const [at = 0, as = 0] = a.split('-').map(Number);
  const [bt = 0, bs = 0] = b.split('-').map(Number);
  return at !== bt ? at > bt : as > bs;
}

function over(status: AgentStatus): boolean {
  return isSettled(status) || status === 'expired';
}

/**
 * `GET /v1/agents/{id}/runs/{runId}/stream`: the run's events as typed SSE (`status`, `assistant`,
 * `tool_call`, `result`, `error`), each with its event-log id so `Last-Event-ID` resumes; a
 * `heartbeat` event every `heartbeatMs`; `done` once the run is over and every event is sent.
 */
export async function streamRun(res: Response, deps: RunStreamDeps, agent: Agent, range: RunRange, options: { lastEventId?: string; resultText?: () => Promise<string | null> }): Promise<void> {
  const controller = openEventStream(res);
  const heartbeat = setInterval(() => res.write(`event: heartbeat\ndata: ${JSON.stringify({ runId: range.runId })}\n\n`), deps.heartbeatMs);
  let last: string | null = options.lastEventId && (!range.after || eventIdAfter(options.lastEventId, range.after)) ? options.lastEventId : range.after;
  let status: RunStatus = 'CREATING';
  let ended = false;
  let sawResult = false;
  const resumedFrom = last !== range.after ? last : null;
  /** Whether the run sent its `result` before the point a client resumed from. */
  const resultBefore = async (until: string): Promise<boolean> => {
    const earlier = await deps.events.read(agent.id, range.after ? { after: range.after } : {});
    return earlier.some((e) => e.type === 'summary' && !eventIdAfter(e.id, until));
  };
  /** Sends one event; returns true once the run is over. */
  const send = (event: StoredEvent): boolean => {
    if (range.until && eventIdAfter(event.id, range.until)) return true;
    last = event.id;
    const typed = typedEvent(event, range.runId);
    if (typed) res.write(`id: ${event.id}\nevent: ${typed.event}\ndata: ${JSON.stringify(deps.scrubber.scrubDeep(typed.data))}\n\n`);
    if (typed?.event === 'result') sawResult = true;
    if (event.type === 'status') {
      status = runStatus(event.status);
      if (over(event.status)) return true;
    }
    return range.until !== null && event.id === range.until;
  };
  const backlog = async (): Promise<void> => {
    for (;;) {
      const batch = await deps.events.read(agent.id, last ? { after: last, limit: 500 } : { limit: 500 });
      for (const event of batch) if (send(event)) return;
      if (batch.length < 500) return;
    }
  };

  try {
    if (range.until !== null || over(agent.status)) {
      await backlog();
      ended = true;
      if (range.until === null) status = runStatus(agent.status);
    } else {
      for await (const event of deps.events.follow(agent.id, { ...(last ? { after: last } : {}), signal: controller.signal })) {
        if (send(event)) {
          ended = true;
          break;
        }
      }
    }
    if (ended && !controller.signal.aborted) {
      // Every run ends with a `result` (clients take it as the run's end), then `done`.
      if (!sawResult && !(resumedFrom && (await resultBefore(resumedFrom)))) {
        const text = (await options.resultText?.()) ?? null;
        res.write(`event: result\ndata: ${JSON.stringify(deps.scrubber.scrubDeep({ runId: range.runId, status, text }))}\n\n`);
      }
      res.write(`event: done\ndata: ${JSON.stringify({ runId: range.runId, status })}\n\n`);
    }
  } catch (error) {
    if (!controller.signal.aborted) {
      deps.log.warn({ err: error, agentId: agent.id, runId: range.runId }, 'run stream failed');
      res.write(`event: error\ndata: ${JSON.stringify({ runId: range.runId, code: 'stream_unavailable', message: 'the run stream failed; reconnect with Last-Event-ID to resume' })}\n\n`);
    }
  } finally {
    clearInterval(heartbeat);
    controller.abort();
    res.end();
  }
}
