import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { z } from 'zod';

/** An error answer from the API (or no answer), with the API's code and fix-it message. */
export class ApiClientError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiClientError';
  }
}

const ErrorBody = z.looseObject({ error: z.looseObject({ message: z.string(), code: z.string() }) });

/** An agent as the API returns it (tolerant: fields added later are kept). */
export const ApiAgentView = z.looseObject({
  id: z.string(),
  name: z.string(),
  status: z.string(),
  source: z.looseObject({ repository: z.string().nullable().optional(), ref: z.string().nullable().optional() }).optional(),
  target: z.looseObject({ branchName: z.string().optional(), url: z.string().optional(), prUrl: z.string().nullable().optional() }).optional(),
  summary: z.string().nullable().optional(),
  createdAt: z.string().optional(),
  errandStatus: z.string().optional(),
  model: z.string().optional(),
  mode: z.string().optional(),
  error: z.looseObject({ code: z.string(), message: z.string() }).nullable().optional(),
  finishedAt: z.string().nullable().optional(),
  startedAt: z.string().nullable().optional(),
});
export type ApiAgentView = z.infer<typeof ApiAgentView>;

export interface StreamedEvent {
  id: string | undefined;
  event: string;
  data: Record<string, unknown>;
}

export interface ApiClientOptions {
  url: string;
  apiKey: string | null;
  fetch?: typeof fetch;
}

/** The CLI's client of Errand's HTTP API v0. */
export class ApiClient {
  constructor(private readonly options: ApiClientOptions) {}

  get url(): string {
    return this.options.url;
  }

  async request<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await this.send(method, path, body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
    const text = await response.text();
    const json: unknown = text ? safeJson(text) : null;
    if (!response.ok) throw errorFrom(response.status, json);
    return json as T;
  }

  async agent(id: string): Promise<ApiAgentView> {
    return ApiAgentView.parse(await this.request('GET', `/v0/agents/${encodeURIComponent(id)}`));
  }

  /**
   * The agent's events over SSE, resuming with Last-Event-ID if the connection drops, until the
   * server ends the stream (`end` event) or `signal` aborts.
   */
  async *events(id: string, options: { follow: 'settled' | 'always' | 'never'; after?: string; signal?: AbortSignal }): AsyncGenerator<StreamedEvent> {
    let last = options.after;
    let failures = 0;
    for (;;) {
      let ended = false;
      try {
        const response = await this.send('GET', `/v0/agents/${encodeURIComponent(id)}/events?follow=${options.follow}`, {
          headers: { accept: 'text/event-stream', ...(last ? { 'last-event-id': last } : {}) },
          ...(options.signal ? { signal: options.signal } : {}),
        });
        if (!response.ok) throw errorFrom(response.status, safeJson(await response.text()));
        if (!response.body) throw new ApiClientError(0, 'unavailable', 'the server sent no event stream');
        const queue: EventSourceMessage[] = [];
        const parser = createParser({ onEvent: (message) => queue.push(message) });
        const decoder = new TextDecoder();
        for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
          parser.feed(decoder.decode(chunk, { stream: true }));
          failures = 0;
          while (queue.length > 0) {
            const message = queue.shift()!;
            const event = message.event ?? 'message';
            if (event === 'end') ended = true;
            if (message.id) last = message.id;
            yield { id: message.id, event, data: (safeJson(message.data) ?? {}) as Record<string, unknown> };
          }
          if (ended) return;
        }
      } catch (error) {
        if (options.signal?.aborted) return;
        if (error instanceof ApiClientError && error.status >= 400 && error.status < 500) throw error;
        failures += 1;
        if (failures > 5) throw error;
      }
      if (ended || options.signal?.aborted) return;
      // The connection dropped before the end: back off a little, then resume after the last id.
      await new Promise((r) => setTimeout(r, Math.min(250 * 2 ** failures, 5_000)));
    }
  }

  private async send(method: string, path: string, init: { body?: string; headers?: Record<string, string>; signal?: AbortSignal }): Promise<Response> {
    if (!this.options.apiKey) {
      throw new ApiClientError(401, 'unauthorized', 'no API key: set ERRAND_API_KEY, or run `errand login` (an admin makes keys with `errand keys create --name <you>` on the server)');
    }
    try {
      return await (this.options.fetch ?? fetch)(`${this.options.url}${path}`, {
        method,
        ...init,
        headers: { authorization: `Bearer ${this.options.apiKey}`, ...init.headers },
      });
    } catch (error) {
      if (init.signal?.aborted) throw error;
      throw new ApiClientError(0, 'unavailable', `cannot reach Errand at ${this.options.url}: ${error instanceof Error ? error.message : String(error)}; is it running? (set ERRAND_URL if it is elsewhere)`);
    }
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}

function errorFrom(status: number, json: unknown): ApiClientError {
  const parsed = ErrorBody.safeParse(json);
  if (parsed.success) return new ApiClientError(status, parsed.data.error.code, parsed.data.error.message);
  return new ApiClientError(status, 'internal', `the server answered ${status}`);
}
