import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

/** One Web API call as the fake received it. */
export interface SlackCall {
  method: string;
  args: Record<string, unknown>;
  /** 429 answers are recorded too, with `rateLimited: true`. */
  rateLimited: boolean;
  /** When the fake received it (Date.now()). */
  at: number;
}

export interface FakeMessage {
  channel: string;
  ts: string;
  threadTs?: string;
  user?: string;
  botId?: string;
  text: string;
  blocks?: unknown;
  metadata?: unknown;
}

export interface FakeUser {
  id: string;
  name: string;
  real_name?: string;
  is_admin?: boolean;
  is_owner?: boolean;
  is_bot?: boolean;
  /** Sent in `profile.email`, as Slack does for apps with `users:read.email`. */
  email?: string;
}

type Answer = (args: Record<string, unknown>) => Record<string, unknown>;

export const botUserId = 'UBOT';
export const botId = 'BBOT';

/**
 * Slack's Web API on 127.0.0.1, for the real @slack/web-api client that Bolt uses. It answers the
 * methods Errand calls the way Slack does (`{ ok: true, ... }` JSON over HTTP 200), records every
 * call, refuses a wrong token like Slack (`invalid_auth`), and is strict: a method it does not know
 * is recorded in `unexpected` (tests assert it stays empty). `rateLimit` makes calls answer 429
 * with Retry-After, as Slack does under load. It also serves response_url posts.
 */
export class FakeSlack {
  readonly calls: SlackCall[] = [];
  readonly unexpected: string[] = [];
  readonly responses: { path: string; body: Record<string, unknown> }[] = [];
  readonly messages: FakeMessage[] = [];
  readonly channels = new Map<string, { is_ext_shared: boolean; name: string }>();
  readonly users = new Map<string, FakeUser>();
  private readonly limits: { method: string; remaining: number; retryAfter: number }[] = [];
  private readonly failures: { method: string; remaining: number; error: string }[] = [];
  private readonly drops: { method: string; remaining: number }[] = [];
  private readonly httpErrors: { method: string; remaining: number; status: number; carriedOut: boolean }[] = [];
  private server: Server | null = null;
  private seq = 0;
  baseUrl = '';

  constructor(readonly token = 'xoxb-test-token', readonly teamId = 'T1') {}

  /** The URL to give `slackApiUrl`. */
  get apiUrl(): string {
    return `${this.baseUrl}/api/`;
  }

  responseUrl(id: string): string {
    return `${this.baseUrl}/respond/${id}`;
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((done) => this.server!.listen(0, '127.0.0.1', () => done()));
    const address = this.server.address();
    if (!address || typeof address === 'string') throw new Error('fake Slack did not get a port');
    this.baseUrl = `http://127.0.0.1:${address.port}`;
    return this;
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((done) => this.server!.close(() => done()));
  }

  /** The next `times` calls of `method` ('*' for any) answer 429 with this Retry-After (seconds). */
  rateLimit(method: string, times: number, retryAfter = 0): void {
    this.limits.push({ method, remaining: times, retryAfter });
  }

  /** The next `times` calls of `method` answer `{ ok: false, error }`. */
  fail(method: string, times: number, error: string): void {
    this.failures.push({ method, remaining: times, error });
  }

  /** The next `times` calls of `method` are carried out, but the connection breaks before the answer. */
  dropAnswer(method: string, times: number): void {
    this.drops.push({ method, remaining: times });
  }

  /**
   * The next `times` calls of `method` answer HTTP `status` (a 500 from Slack's edge). With
   * `carriedOut` the call takes effect first, so only the answer is lost.
   */
  httpError(method: string, times: number, status: number, options: { carriedOut?: boolean } = {}): void {
    this.httpErrors.push({ method, remaining: times, status, carriedOut: options.carriedOut ?? false });
  }

  /** Calls answered normally (not 429) of one method. */
  okCalls(method: string): SlackCall[] {
    return this.calls.filter((c) => c.method === method && !c.rateLimited);
  }

  addUser(user: FakeUser): void {
    this.users.set(user.id, user);
  }

  addChannel(id: string, options: { external?: boolean; name?: string } = {}): void {
    this.channels.set(id, { is_ext_shared: options.external ?? false, name: options.name ?? id.toLowerCase() });
  }

  /** A message a person wrote (for conversations.replies). */
  seedMessage(message: Omit<FakeMessage, 'ts'> & { ts?: string }): FakeMessage {
    const stored = { ...message, ts: message.ts ?? this.nextTs() };
    this.messages.push(stored);
    return stored;
  }

  nextTs(): string {
    this.seq += 1;
    return `1700000${String(this.seq).padStart(3, '0')}.${String(this.seq).padStart(6, '0')}`;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readBody(req);
    const url = new URL(req.url ?? '/', this.baseUrl);
    if (url.pathname.startsWith('/respond/')) {
      this.responses.push({ path: url.pathname, body: JSON.parse(raw || '{}') as Record<string, unknown> });
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
      return;
    }
    const method = url.pathname.replace(/^\/api\//, '');
    const args = parseArgs(raw, req.headers['content-type'] ?? '');
    const limit = this.limits.find((l) => l.remaining > 0 && (l.method === '*' || l.method === method));
    if (limit) {
      limit.remaining -= 1;
      this.calls.push({ method, args, rateLimited: true, at: Date.now() });
      res.writeHead(429, { 'content-type': 'application/json', 'retry-after': String(limit.retryAfter) }).end(JSON.stringify({ ok: false, error: 'ratelimited' }));
      return;
    }
    this.calls.push({ method, args, rateLimited: false, at: Date.now() });
    const answer = this.answers[method];
    if (!answer) {
      this.unexpected.push(method);
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: false, error: 'unknown_method' }));
      return;
    }
    const httpError = this.httpErrors.find((e) => e.remaining > 0 && e.method === method);
    if (httpError) {
      httpError.remaining -= 1;
      if (httpError.carriedOut) answer(args);
      res.writeHead(httpError.status, { 'content-type': 'text/html' }).end('<html><body>Internal Server Error</body></html>');
      return;
    }
    let body: Record<string, unknown>;
    if (req.headers.authorization !== `Bearer ${this.token}`) {
      body = { ok: false, error: 'invalid_auth' };
    } else {
      const failure = this.failures.find((f) => f.remaining > 0 && f.method === method);
      if (failure) {
        failure.remaining -= 1;
        body = { ok: false, error: failure.error };
      } else {
        body = answer(args);
      }
    }
    const drop = this.drops.find((d) => d.remaining > 0 && d.method === method);
    if (drop) {
      drop.remaining -= 1;
      req.socket.destroy();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  }

  private readonly answers: Record<string, Answer> = {
    'auth.test': () => ({ ok: true, url: 'https://acme.slack.com/', team: 'Acme', team_id: this.teamId, user: 'errand', user_id: botUserId, bot_id: botId }),
    'chat.postMessage': (args) => {
      const channel = String(args.channel);
      const message: FakeMessage = { channel, ts: this.nextTs(), text: String(args.text ?? ''), botId, user: botUserId, blocks: args.blocks };
      if (args.thread_ts) message.threadTs = String(args.thread_ts);
      if (args.metadata) message.metadata = args.metadata;
      this.messages.push(message);
      return { ok: true, channel, ts: message.ts, message: { type: 'message', text: message.text, ts: message.ts, bot_id: botId } };
    },
    'chat.update': (args) => {
      const message = this.messages.find((m) => m.channel === args.channel && m.ts === args.ts);
      if (!message) return { ok: false, error: 'message_not_found' };
      message.text = String(args.text ?? '');
      message.blocks = args.blocks;
      return { ok: true, channel: message.channel, ts: message.ts, text: message.text };
    },
    'chat.postEphemeral': () => ({ ok: true, message_ts: this.nextTs() }),
    'reactions.add': () => ({ ok: true }),
    'reactions.remove': () => ({ ok: true }),
    'conversations.info': (args) => {
      const channel = this.channels.get(String(args.channel));
      if (!channel) return { ok: false, error: 'channel_not_found' };
      return { ok: true, channel: { id: args.channel, name: channel.name, is_channel: true, is_ext_shared: channel.is_ext_shared, is_shared: channel.is_ext_shared } };
    },
    'conversations.replies': (args) => {
      const thread = this.messages
        .filter((m) => m.channel === args.channel && (m.ts === args.ts || m.threadTs === args.ts))
        .map((m) => ({ type: 'message', ts: m.ts, text: m.text, ...(m.user ? { user: m.user } : {}), ...(m.botId ? { bot_id: m.botId } : {}), ...(m.threadTs ? { thread_ts: m.threadTs } : {}), ...(String(args.include_all_metadata) === 'true' && m.metadata ? { metadata: m.metadata } : {}) }));
      return { ok: true, messages: thread, has_more: false };
    },
    'conversations.history': (args) => {
      const top = this.messages
        .filter((m) => m.channel === args.channel && !m.threadTs)
        .reverse()
        .map((m) => ({ type: 'message', ts: m.ts, text: m.text, ...(m.user ? { user: m.user } : {}), ...(m.botId ? { bot_id: m.botId } : {}), ...(String(args.include_all_metadata) === 'true' && m.metadata ? { metadata: m.metadata } : {}) }));
      return { ok: true, messages: top, has_more: false };
    },
    'users.info': (args) => {
      const user = this.users.get(String(args.user));
      if (!user) return { ok: false, error: 'user_not_found' };
      return { ok: true, user: { ...user, team_id: this.teamId, deleted: false, profile: { real_name: user.real_name ?? user.name, display_name: user.name, ...(user.email ? { email: user.email } : {}) } } };
    },
    'views.open': () => ({ ok: true, view: { id: `V${this.nextTs()}` } }),
    'views.publish': () => ({ ok: true, view: { id: `V${this.nextTs()}` } }),
  };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((done, fail) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => done(Buffer.concat(chunks).toString('utf8')));
    req.on('error', fail);
  });
}

/** The Web API client sends form fields, with arrays and objects (blocks) as JSON strings. */
function parseArgs(raw: string, contentType: string): Record<string, unknown> {
  if (contentType.includes('application/json')) return JSON.parse(raw || '{}') as Record<string, unknown>;
  const args: Record<string, unknown> = {};
  for (const [key, value] of new URLSearchParams(raw)) {
    args[key] = /^[[{]/.test(value) ? safeJson(value) : value;
  }
  return args;
}

function safeJson(value: string): unknown {
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}
