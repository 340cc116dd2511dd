import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * The scripted conversation behind fake-openai.ts and fake-anthropic.ts: each model request takes
 * the next step, which may check the request and answers with text, tool calls or an error.
 * Strict: a request beyond the script or failing its step's check is answered 500 (marked
 * not-retryable) and recorded, so `assertDone()` fails the test.
 */

export interface FakeToolCall {
  /** Generated when left out. */
  id?: string;
  name: string;
  /** An object is sent as JSON; a string is sent as is (to test malformed arguments). */
  arguments: Record<string, unknown> | string;
}

export interface FakeUsage {
  inputTokens: number;
  outputTokens: number;
}

export type FakeReply =
  | {
      text?: string;
      toolCalls?: FakeToolCall[];
      usage?: FakeUsage;
      stopReason?: 'end' | 'max_tokens';
      /** The model's reasoning: an Anthropic `thinking` block, or for OpenAI-compatible servers the field `reasoningAs` names. */
      thinking?: string;
      /** Where an OpenAI-compatible server puts `thinking` (default `reasoning_content`; `think_tags` leads the content with `<think>…</think>`). */
      reasoningAs?: 'reasoning_content' | 'reasoning' | 'think_tags';
    }
  /** An HTTP error shaped like the real API's; `retryAfter` in seconds sets `retry-after`. */
  | { error: { status: number; message?: string; retryAfter?: number; retryAfterMs?: number } }
  /** Drops the connection without an answer, as a crashed server or proxy would. */
  | { disconnect: true };

/** One message of the request, the same for both APIs, so checks read alike. */
export interface SeenMessage {
  role: 'system' | 'user' | 'assistant' | 'tool';
  text: string;
  toolCalls?: { id: string; name: string; arguments: unknown }[];
  toolCallId?: string;
  isError?: boolean;
}

export interface SeenRequest {
  /** 0-based, in arrival order. */
  index: number;
  receivedAt: number;
  path: string;
  headers: IncomingHttpHeaders;
  /** The JSON body as the SDK sent it. */
  body: Record<string, unknown>;
  model: string;
  /** Names of the tools offered. */
  tools: string[];
  messages: SeenMessage[];
  /** The last user or tool message: what the model is answering. */
  lastMessage: SeenMessage | undefined;
  /** Set when the client went away before the answer was sent (an aborted call). */
  clientGone: boolean;
}

export interface FakeStep {
  /** Names the step in failure messages. */
  label?: string;
  expect?: {
    /** Substring of the last user or tool message. */
    lastMessageIncludes?: string;
    /** Exactly these tool names are offered (any order). */
    tools?: string[];
    model?: string;
    /** Return false or a message, or throw, to fail the step. */
    check?: (request: SeenRequest) => boolean | string | void;
  };
  /** The answer, or a function computing it from the request (for follow-ups). */
  reply: FakeReply | ((request: SeenRequest) => FakeReply | Promise<FakeReply>);
  /** Holds the answer until the gate is released: the model is "mid-call". */
  holdUntil?: Gate;
}

/** A deferred a test releases; `reached` resolves when a request is being held at it. */
export class Gate {
  readonly reached: Promise<void>;
  private readonly released: Promise<void>;
  private markReached!: () => void;
  private doRelease!: () => void;

  constructor() {
    this.reached = new Promise((resolve) => (this.markReached = resolve));
    this.released = new Promise((resolve) => (this.doRelease = resolve));
  }

  release(): void {
    this.doRelease();
  }

  /** @internal used by the fake server */
  async hold(): Promise<void> {
    this.markReached();
    await this.released;
  }
}

/** What each fake knows about its API. */
export interface FakeApi {
  name: string;
  /** Whether method + path is the model call this fake scripts. */
  isModelCall(method: string, path: string): boolean;
  read(body: Record<string, unknown>): { model: string; tools: string[]; messages: SeenMessage[] };
  /** Returns what a real server would reject the request for, as the API's own words. */
  validate(body: Record<string, unknown>): string | undefined;
  success(reply: Extract<FakeReply, { text?: string }>, request: SeenRequest, usage: FakeUsage): unknown;
  errorBody(status: number, message: string): unknown;
  /** Headers every answer carries (request ids). */
  headers(index: number): Record<string, string>;
}

export interface FakeModelServer {
  /** The base URL to give the SDK client. */
  readonly baseUrl: string;
  readonly requests: readonly SeenRequest[];
  readonly failures: readonly string[];
  /** Appends steps, for tests that script turn by turn. */
  add(...steps: FakeStep[]): void;
  /** Throws unless every step was used and nothing unexpected arrived. */
  assertDone(): void;
  close(): Promise<void>;
}

/** Where the fake listens: 127.0.0.1 on a free port, unless a test runs it for containers to reach. */
export interface FakeListen {
  host?: string;
  port?: number;
}

export async function startFakeModelServer(api: FakeApi, steps: FakeStep[], basePath: string, listen: FakeListen = {}): Promise<FakeModelServer> {
  const script = [...steps];
  const requests: SeenRequest[] = [];
  const failures: string[] = [];
  let used = 0;

  const fail = (res: ServerResponse, index: number, status: number, message: string) => {
    failures.push(message);
    send(res, status, api.errorBody(status, `${api.name}: ${message}`), { ...api.headers(index), 'x-should-retry': 'false' });
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0]!;
    const text = await readBody(req);
    const index = requests.length;
    if (!api.isModelCall(req.method ?? 'GET', path)) {
      return fail(res, index, 404, `unexpected ${req.method} ${path}: this fake answers only the model call`);
    }
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(text) as Record<string, unknown>;
    } catch {
      return fail(res, index, 400, `request body is not JSON: ${text.slice(0, 200)}`);
    }
    const seen = api.read(body);
    const request: SeenRequest = {
      index,
      receivedAt: Date.now(),
      path,
      headers: req.headers,
      body,
      ...seen,
      lastMessage: seen.messages.filter((m) => m.role === 'user' || m.role === 'tool').at(-1),
      clientGone: false,
    };
    requests.push(request);
    res.on('close', () => {
      if (!res.writableFinished) request.clientGone = true;
    });
    const invalid = api.validate(body);
    if (invalid) return fail(res, index, 400, `request #${index} would be rejected by the real API: ${invalid}`);

    const step = script[used];
    if (!step) {
      return fail(res, index, 500, `unexpected request #${index} beyond the script of ${script.length} steps; last message: ${describe(request.lastMessage)}`);
    }
    used += 1;
    const problem = checkStep(step, request);
    if (problem) return fail(res, index, 500, `request #${index} failed the check of step ${step.label ?? used}: ${problem}`);

    if (step.holdUntil) await step.holdUntil.hold();
    if (request.clientGone) return;
    let reply: FakeReply;
    try {
      reply = typeof step.reply === 'function' ? await step.reply(request) : step.reply;
    } catch (error) {
      return fail(res, index, 500, `step ${step.label ?? used} could not compute its reply: ${String(error)}`);
    }
    if ('disconnect' in reply) {
      req.socket.destroy();
      return;
    }
    if ('error' in reply) {
      const { status, message = defaultErrorMessage(status), retryAfter, retryAfterMs } = reply.error;
      const headers: Record<string, string> = { ...api.headers(index) };
      if (retryAfter !== undefined) headers['retry-after'] = String(retryAfter);
      if (retryAfterMs !== undefined) headers['retry-after-ms'] = String(retryAfterMs);
      return send(res, status, api.errorBody(status, message), headers);
    }
    const usage = reply.usage ?? estimateUsage(body, reply);
    send(res, 200, api.success(reply, request, usage), api.headers(index));
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      failures.push(`${api.name} crashed: ${String(error)}`);
      if (!res.headersSent) send(res, 500, api.errorBody(500, String(error)), { 'x-should-retry': 'false' });
    });
  });
  const host = listen.host ?? '127.0.0.1';
  await new Promise<void>((resolve) => server.listen(listen.port ?? 0, host, resolve));
  const { port } = server.address() as AddressInfo;

  return {
    baseUrl: `http://${host}:${port}${basePath}`,
    requests,
    failures,
    add: (...more) => script.push(...more),
    assertDone() {
      const problems = [...failures];
      if (used < script.length) {
        const left = script.slice(used).map((s, i) => s.label ?? `#${used + i + 1}`);
        problems.push(`${script.length - used} scripted step(s) never requested: ${left.join(', ')}`);
      }
      if (problems.length > 0) throw new Error(`${api.name} script not satisfied:\n  ${problems.join('\n  ')}`);
    },
    async close() {
      for (const step of script) step.holdUntil?.release();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function checkStep(step: FakeStep, request: SeenRequest): string | undefined {
  const expect = step.expect;
  if (!expect) return undefined;
  if (expect.model !== undefined && request.model !== expect.model) return `expected model ${expect.model}, got ${request.model}`;
  if (expect.lastMessageIncludes !== undefined && !request.lastMessage?.text.includes(expect.lastMessageIncludes)) {
    return `expected the last user/tool message to include ${JSON.stringify(expect.lastMessageIncludes)}, got ${describe(request.lastMessage)}`;
  }
  if (expect.tools !== undefined) {
    const want = [...expect.tools].sort().join(',');
    const got = [...request.tools].sort().join(',');
    if (want !== got) return `expected tools [${want}], got [${got}]`;
  }
  if (expect.check) {
    try {
      const verdict = expect.check(request);
      if (verdict === false) return 'the check returned false';
      if (typeof verdict === 'string') return verdict;
    } catch (error) {
      return error instanceof Error ? error.message : String(error);
    }
  }
  return undefined;
}

function describe(message: SeenMessage | undefined): string {
  if (!message) return '(none)';
  const text = message.text.length > 200 ? `${message.text.slice(0, 200)}…` : message.text;
  return `${message.role}: ${JSON.stringify(text)}`;
}

function estimateUsage(body: Record<string, unknown>, reply: Extract<FakeReply, { text?: string }>): FakeUsage {
  const input = JSON.stringify(body['messages'] ?? []).length + JSON.stringify(body['system'] ?? '').length;
  const output = (reply.text ?? '').length + JSON.stringify(reply.toolCalls ?? []).length;
  return { inputTokens: Math.max(1, Math.ceil(input / 4)), outputTokens: Math.max(1, Math.ceil(output / 4)) };
}

function defaultErrorMessage(status: number): string {
  if (status === 401) return 'Incorrect API key provided.';
  if (status === 403) return 'You are not allowed to use this model.';
  if (status === 429) return 'Rate limit reached. Please try again later.';
  if (status >= 500) return 'The server had an error while processing your request.';
  return 'Bad request.';
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string>): void {
  if (res.destroyed) return;
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** Tool call ids like the real APIs': `call_…` for OpenAI, `toolu_…` for Anthropic. */
export function fakeId(prefix: string, index: number, n: number): string {
  return `${prefix}${String(index).padStart(3, '0')}${String(n).padStart(3, '0')}fake`;
}

export function toolArguments(call: FakeToolCall): string {
  return typeof call.arguments === 'string' ? call.arguments : JSON.stringify(call.arguments);
}
