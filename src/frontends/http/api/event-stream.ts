import type { Response } from 'express';
import { isSettled, type Agent, type AgentStatus, type EventLog, type Log, type StoredEvent } from '../../../core/index.js';
import type { Scrubber } from '../../../redact/scrubber.js';
import { apiStatus } from './present.js';

/** When the stream ends: once the agent settles (default), never, or right after the backlog. */
export type FollowMode = 'settled' | 'always' | 'never';

export interface EventStreamDeps {
  events: EventLog;
  agents: { get(agentId: string): Promise<Agent | null> };
  scrubber: Scrubber;
  log: Log;
  heartbeatMs: number;
}

function over(status: AgentStatus): boolean {
  return isSettled(status) || status === 'expired';
}

/**
 * `GET /v0/agents/:id/events` as Server-Sent Events: every event as `id`, `event` (its type) and
 * `data` (the event as JSON, scrubbed), starting after `after` (the Last-Event-ID header or
 * `?after=`), then live ones. A comment line every `heartbeatMs` keeps proxies from closing an idle
 * stream. Unless `follow` is `always`, the stream ends with an `end` event once the agent has
 * settled and every event is sent; `never` sends what is there and ends.
 */
export async function streamEvents(res: Response, deps: EventStreamDeps, agent: Agent, options: { after?: string; follow: FollowMode }): Promise<void> {
  const controller = openEventStream(res);
  const heartbeat = setInterval(() => res.write(': heartbeat\n\n'), deps.heartbeatMs);
  let last = options.after;
  const send = (event: StoredEvent) => {
    const data = event.type === 'status' ? { ...event, apiStatus: apiStatus(event.status) } : event;
    res.write(`id: ${event.id}\nevent: ${event.type}\ndata: ${JSON.stringify(deps.scrubber.scrubDeep(data))}\n\n`);
    last = event.id;
  };
  const backlog = async () => {
    for (;;) {
      const batch = await deps.events.read(agent.id, last ? { after: last, limit: 500 } : { limit: 500 });
      for (const event of batch) send(event);
      if (batch.length < 500) return;
    }
  };

  try {
    let final: Agent | null = agent;
    if (options.follow === 'never' || (options.follow === 'settled' && over(agent.status))) {
      await backlog();
    } else {
      for await (const event of deps.events.follow(agent.id, { ...(last ? { after: last } : {}), signal: controller.signal })) {
        send(event);
        if (options.follow === 'settled' && event.type === 'status' && over(event.status)) {
          final = await deps.agents.get(agent.id);
          // A follow-up may have resumed it already: then keep following.
          if (!final || over(final.status)) {
            await backlog();
            break;
          }
        }
      }
    }
    if (!controller.signal.aborted) {
      const status = final?.status ?? agent.status;
      res.write(`event: end\ndata: ${JSON.stringify({ id: agent.id, status: apiStatus(status), errandStatus: status })}\n\n`);
    }
  } catch (error) {
    if (!controller.signal.aborted) {
      deps.log.warn({ err: error, agentId: agent.id }, 'event stream failed');
      res.write(`event: error\ndata: ${JSON.stringify({ message: 'the event stream failed; reconnect with Last-Event-ID to resume' })}\n\n`);
    }
  } finally {
    clearInterval(heartbeat);
    controller.abort();
    res.end();
  }
}

/**
 * Starts a server-sent event stream on `res` (headers that keep proxies from buffering, a retry
 * hint) and returns a controller that aborts when the client goes away.
 */
export function openEventStream(res: Response): AbortController {
  res.status(200).set({
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  res.flushHeaders();
  res.write('retry: 3000\n\n');
  const controller = new AbortController();
  res.on('close', () => controller.abort());
  return controller;
}
