import { createPublicKey, generateKeyPairSync, randomBytes, verify, type KeyObject } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Who made a request, as GitHub would see it. */
export type FakeAuth =
  | { kind: 'app'; appId: string }
  | { kind: 'installation'; token: string; installationId: number }
  | { kind: 'none' }
  | { kind: 'invalid'; reason: string };

export interface FakeRequest {
  method: string;
  path: string;
  params: Record<string, string>;
  query: URLSearchParams;
  body: Record<string, unknown>;
  headers: IncomingMessage['headers'];
  auth: FakeAuth;
}

export interface FakeResponse {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export type FakeHandler = (request: FakeRequest) => FakeResponse | Promise<FakeResponse>;

export interface RecordedCall {
  method: string;
  /** The route pattern that answered, e.g. `POST /repos/:owner/:repo/issues/:number/comments`; null if none did. */
  route: string | null;
  path: string;
  query: string;
  body: Record<string, unknown>;
  auth: FakeAuth['kind'];
  installationId: number | null;
  status: number;
}

export interface FakeComment {
  id: number;
  /** `issue` comments live in the conversation; `review` comments in a pull request's diff. */
  kind: 'issue' | 'review';
  repo: string;
  number: number;
  body: string;
  user: string;
  userType: 'User' | 'Bot';
  authorAssociation: string;
  inReplyTo: number | null;
  createdAt: string;
  updatedAt: string;
}

export interface FakePull {
  repo: string;
  number: number;
  title: string;
  body: string;
  user: string;
  headRef: string;
  headRepo: string;
  baseRef: string;
  authorAssociation?: string;
}

interface Route {
  method: string;
  pattern: string;
  regex: RegExp;
  keys: string[];
  handler: FakeHandler;
}

interface Failure {
  route: string;
  status: number;
  remaining: number;
  headers: Record<string, string>;
  body: unknown;
}

const appSlug = 'errand-test';

/**
 * GitHub's REST API, as far as Errand's GitHub front end uses it, on 127.0.0.1 for the real
 * Probot/Octokit (`baseUrl`). A route table answers; every call is recorded; a request that no
 * route answers is answered 599 and recorded as unexpected, so `assertNoUnexpected` fails the test.
 * App JWTs are verified against the app's key, installation tokens are minted here and checked on
 * every repository route (a token for another installation is refused, as on GitHub).
 */
export class FakeGitHubApi {
  readonly appId = 4242;
  readonly appSlug = appSlug;
  readonly botLogin = `${appSlug}[bot]`;
  readonly privateKey: string;
  readonly calls: RecordedCall[] = [];
  readonly unexpected: string[] = [];
  /** Installed repositories (lower-case full name) → installation id. */
  readonly installations = new Map<string, number>();
  /** `owner/repo:login` (lower case) → permission (`admin`, `maintain`, `write`, `triage`, `read`, `none`). */
  readonly permissions = new Map<string, string>();
  readonly comments = new Map<number, FakeComment>();
  readonly pulls = new Map<string, FakePull>();
  readonly reactions: { commentId: number; kind: 'issue' | 'review'; content: string }[] = [];
  /** Repository files (`owner/repo:path`), e.g. `.github/errand.yml`. */
  readonly files = new Map<string, string>();
  private readonly tokens = new Map<string, number>();
  private readonly publicKey: KeyObject;
  private readonly routes: Route[] = [];
  private readonly failures: Failure[] = [];
  private nextCommentId = 9_000_001;
  private server: Server | null = null;
  private port = 0;

  private constructor() {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    this.privateKey = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
    this.publicKey = createPublicKey(publicKey.export({ type: 'spki', format: 'pem' }));
    this.installDefaultRoutes();
  }

  static async start(): Promise<FakeGitHubApi> {
    const fake = new FakeGitHubApi();
    fake.server = createServer((req, res) => void fake.handle(req, res));
    fake.server.keepAliveTimeout = 1_000;
    await new Promise<void>((resolve) => fake.server!.listen(0, '127.0.0.1', resolve));
    fake.port = (fake.server.address() as AddressInfo).port;
    return fake;
  }

  /** The Octokit/Probot `baseUrl`. */
  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  install(repo: string, installationId: number): void {
    this.installations.set(repo.toLowerCase(), installationId);
  }

  grant(repo: string, login: string, permission: string): void {
    this.permissions.set(`${repo}:${login}`.toLowerCase(), permission);
  }

  /** Adds a comment as if a person had written it (so later reads of the thread see it). */
  addComment(input: Omit<FakeComment, 'createdAt' | 'updatedAt' | 'inReplyTo' | 'userType' | 'authorAssociation'> & Partial<FakeComment>): FakeComment {
    const now = new Date().toISOString();
    const comment: FakeComment = { inReplyTo: null, userType: 'User', authorAssociation: 'NONE', createdAt: now, updatedAt: now, ...input };
    this.comments.set(comment.id, comment);
    return comment;
  }

  addPull(pull: FakePull): void {
    this.pulls.set(`${pull.repo}#${pull.number}`.toLowerCase(), pull);
  }

  /** Adds (or replaces) an endpoint: `route('GET', '/repos/:owner/:repo/pulls/:number', handler)`. */
  route(method: string, pattern: string, handler: FakeHandler): void {
    const keys: string[] = [];
    const source = pattern.replace(/:([a-z_]+)/gi, (_m, key: string) => {
      keys.push(key);
      return '([^/]+)';
    });
    const route = { method, pattern, regex: new RegExp(`^${source}$`), keys, handler };
    const existing = this.routes.findIndex((r) => r.method === method && r.pattern === pattern);
    if (existing >= 0) this.routes[existing] = route;
    else this.routes.push(route);
  }

  /** The next `times` requests to this route answer `status` (a 502, a secondary rate limit). */
  failNext(method: string, pattern: string, status: number, options: { times?: number; headers?: Record<string, string>; body?: unknown } = {}): void {
    this.failures.push({ route: `${method} ${pattern}`, status, remaining: options.times ?? 1, headers: options.headers ?? {}, body: options.body ?? { message: 'injected failure' } });
  }

  callsTo(method: string, pattern: string): RecordedCall[] {
    return this.calls.filter((c) => c.route === `${method} ${pattern}`);
  }

  /** Comments made by the app in a conversation, oldest first. */
  botComments(repo: string, number: number): FakeComment[] {
    return [...this.comments.values()].filter((c) => c.repo.toLowerCase() === repo.toLowerCase() && c.number === number && c.user === this.botLogin);
  }

  assertNoUnexpected(): void {
    if (this.unexpected.length > 0) throw new Error(`fake GitHub got unexpected requests:\n  ${this.unexpected.join('\n  ')}`);
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  private commentJson(comment: FakeComment): Record<string, unknown> {
    const [owner = '', name = ''] = comment.repo.split('/');
    const html = comment.kind === 'issue' ? `${this.url}/${comment.repo}/issues/${comment.number}#issuecomment-${comment.id}` : `${this.url}/${comment.repo}/pull/${comment.number}#discussion_r${comment.id}`;
    return {
      id: comment.id,
      node_id: `IC_${comment.id}`,
      body: comment.body,
      html_url: html,
      user: { login: comment.user, id: 1, type: comment.userType },
      author_association: comment.authorAssociation,
      created_at: comment.createdAt,
      updated_at: comment.updatedAt,
      ...(comment.inReplyTo ? { in_reply_to_id: comment.inReplyTo } : {}),
      ...(comment.kind === 'issue' ? { issue_url: `${this.url}/repos/${owner}/${name}/issues/${comment.number}` } : { pull_request_url: `${this.url}/repos/${owner}/${name}/pulls/${comment.number}` }),
    };
  }

  private createComment(kind: 'issue' | 'review', repo: string, number: number, body: string, inReplyTo: number | null): FakeComment {
    const now = new Date().toISOString();
    const comment: FakeComment = {
      id: this.nextCommentId++, kind, repo, number, body, user: this.botLogin, userType: 'Bot', authorAssociation: 'NONE', inReplyTo, createdAt: now, updatedAt: now,
    };
    this.comments.set(comment.id, comment);
    return comment;
  }

  private installDefaultRoutes(): void {
    const repoOf = (p: Record<string, string>) => `${p.owner}/${p.repo}`;
    this.route('GET', '/app', (req) => {
      if (req.auth.kind !== 'app') return { status: 401, body: { message: 'A JSON web token could not be decoded' } };
      return { status: 200, body: { id: this.appId, slug: this.appSlug, name: 'Errand (test)', owner: { login: 'errand-dev' } } };
    });
    this.route('POST', '/app/installations/:id/access_tokens', (req) => {
      if (req.auth.kind !== 'app') return { status: 401, body: { message: 'A JSON web token could not be decoded' } };
      const installationId = Number(req.params.id);
      if (![...this.installations.values()].includes(installationId)) return { status: 404, body: { message: 'Not Found' } };
      const token = `ghs_${randomBytes(18).toString('hex')}`;
      this.tokens.set(token, installationId);
      return {
        status: 201,
        body: { token, expires_at: new Date(Date.now() + 3_600_000).toISOString(), permissions: { issues: 'write', contents: 'write', pull_requests: 'write', metadata: 'read' }, repository_selection: 'all' },
      };
    });
    this.route('GET', '/repos/:owner/:repo/collaborators/:user/permission', (req) => {
      const permission = this.permissions.get(`${repoOf(req.params)}:${req.params.user}`.toLowerCase()) ?? 'read';
      return { status: 200, body: { permission, role_name: permission, user: { login: req.params.user } } };
    });
    this.route('GET', '/repos/:owner/:repo/contents/:path', (req) => {
      const content = this.files.get(`${repoOf(req.params)}:${decodeURIComponent(req.params.path ?? '')}`.toLowerCase());
      if (content === undefined) return { status: 404, body: { message: 'Not Found' } };
      return { status: 200, body: content, headers: { 'content-type': 'application/vnd.github.raw; charset=utf-8' } };
    });
    this.route('GET', '/repos/:owner/:repo/pulls/:number', (req) => {
      const pull = this.pulls.get(`${repoOf(req.params)}#${req.params.number}`.toLowerCase());
      if (!pull) return { status: 404, body: { message: 'Not Found' } };
      return {
        status: 200,
        body: {
          number: pull.number, title: pull.title, body: pull.body, state: 'open', html_url: `${this.url}/${pull.repo}/pull/${pull.number}`,
          user: { login: pull.user, type: 'User' },
          author_association: pull.authorAssociation ?? 'OWNER',
          head: { ref: pull.headRef, sha: 'a'.repeat(40), repo: { full_name: pull.headRepo } },
          base: { ref: pull.baseRef, sha: 'b'.repeat(40), repo: { full_name: pull.repo } },
        },
      };
    });
    const react = (kind: 'issue' | 'review') => (req: FakeRequest): FakeResponse => {
      const comment = this.comments.get(Number(req.params.id));
      if (!comment) return { status: 404, body: { message: 'Not Found' } };
      const content = String(req.body.content);
      const existing = this.reactions.find((r) => r.commentId === comment.id && r.kind === kind && r.content === content);
      if (!existing) this.reactions.push({ commentId: comment.id, kind, content });
      return { status: existing ? 200 : 201, body: { id: this.reactions.length, content, user: { login: this.botLogin } } };
    };
    this.route('POST', '/repos/:owner/:repo/issues/comments/:id/reactions', react('issue'));
    this.route('POST', '/repos/:owner/:repo/pulls/comments/:id/reactions', react('review'));
    this.route('GET', '/repos/:owner/:repo/issues/:number/comments', (req) => {
      const list = [...this.comments.values()]
        .filter((c) => c.kind === 'issue' && c.repo.toLowerCase() === repoOf(req.params).toLowerCase() && c.number === Number(req.params.number))
        .sort((a, b) => a.id - b.id)
        .map((c) => this.commentJson(c));
      return { status: 200, body: list };
    });
    this.route('GET', '/repos/:owner/:repo/pulls/:number/comments', (req) => {
      const list = [...this.comments.values()]
        .filter((c) => c.kind === 'review' && c.repo.toLowerCase() === repoOf(req.params).toLowerCase() && c.number === Number(req.params.number))
        .sort((a, b) => a.id - b.id)
        .map((c) => this.commentJson(c));
      return { status: 200, body: list };
    });
    this.route('POST', '/repos/:owner/:repo/issues/:number/comments', (req) => {
      const comment = this.createComment('issue', repoOf(req.params), Number(req.params.number), String(req.body.body), null);
      return { status: 201, body: this.commentJson(comment) };
    });
    this.route('PATCH', '/repos/:owner/:repo/issues/comments/:id', (req) => this.edit(Number(req.params.id), 'issue', String(req.body.body)));
    this.route('POST', '/repos/:owner/:repo/pulls/:number/comments/:id/replies', (req) => {
      const parent = this.comments.get(Number(req.params.id));
      if (!parent || parent.kind !== 'review') return { status: 404, body: { message: 'Not Found' } };
      const comment = this.createComment('review', repoOf(req.params), Number(req.params.number), String(req.body.body), parent.inReplyTo ?? parent.id);
      return { status: 201, body: this.commentJson(comment) };
    });
    this.route('PATCH', '/repos/:owner/:repo/pulls/comments/:id', (req) => this.edit(Number(req.params.id), 'review', String(req.body.body)));
  }

  private edit(id: number, kind: 'issue' | 'review', body: string): FakeResponse {
    const comment = this.comments.get(id);
    if (!comment || comment.kind !== kind) return { status: 404, body: { message: 'Not Found' } };
    if (comment.user !== this.botLogin) return { status: 403, body: { message: 'Resource not accessible by integration' } };
    comment.body = body;
    comment.updatedAt = new Date().toISOString();
    return { status: 200, body: this.commentJson(comment) };
  }

  private authOf(req: IncomingMessage): FakeAuth {
    const header = req.headers.authorization;
    if (!header) return { kind: 'none' };
    const [scheme = '', value = ''] = header.split(' ');
    if (/^bearer$/i.test(scheme) && value.split('.').length === 3) {
      const [head = '', payload = '', signature = ''] = value.split('.');
      const ok = verify('RSA-SHA256', Buffer.from(`${head}.${payload}`), this.publicKey, Buffer.from(signature, 'base64url'));
      if (!ok) return { kind: 'invalid', reason: 'bad JWT signature' };
      const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as { iss?: unknown; exp?: number };
      if (String(claims.iss) !== String(this.appId)) return { kind: 'invalid', reason: 'JWT for another app' };
      if (!claims.exp || claims.exp * 1000 < Date.now()) return { kind: 'invalid', reason: 'expired JWT' };
      return { kind: 'app', appId: String(claims.iss) };
    }
    const installationId = this.tokens.get(value);
    return installationId === undefined ? { kind: 'invalid', reason: 'unknown token' } : { kind: 'installation', token: value, installationId };
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString();
    const url = new URL(req.url ?? '/', this.url);
    const method = req.method ?? 'GET';
    const auth = this.authOf(req);
    let body: Record<string, unknown> = {};
    try {
      body = raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
    } catch {
      body = { raw };
    }
    const route = this.routes.find((r) => r.method === method && r.regex.test(url.pathname));
    const record = (status: number, installationId: number | null = null) =>
      this.calls.push({ method, route: route ? `${route.method} ${route.pattern}` : null, path: url.pathname, query: url.search, body, auth: auth.kind, installationId, status });
    const send = (status: number, payload: unknown, headers: Record<string, string> = {}) => {
      const text = typeof payload === 'string' ? payload : JSON.stringify(payload ?? null);
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
      res.end(status === 204 ? undefined : text);
    };
    if (!route) {
      this.unexpected.push(`${method} ${url.pathname}${url.search}`);
      record(599);
      send(599, { message: 'the fake GitHub has no route for this request' });
      return;
    }
    const params: Record<string, string> = {};
    const match = route.regex.exec(url.pathname)!;
    route.keys.forEach((key, i) => (params[key] = decodeURIComponent(match[i + 1] ?? '')));

    if (auth.kind === 'invalid') {
      record(401);
      send(401, { message: `Bad credentials (${auth.reason})` });
      return;
    }
    let installationId: number | null = null;
    if (url.pathname.startsWith('/repos/')) {
      const repo = `${params.owner}/${params.repo}`.toLowerCase();
      const installed = this.installations.get(repo);
      if (auth.kind !== 'installation' || installed !== auth.installationId) {
        record(auth.kind === 'none' ? 401 : 404);
        send(auth.kind === 'none' ? 401 : 404, { message: auth.kind === 'none' ? 'Requires authentication' : 'Not Found' });
        return;
      }
      installationId = auth.installationId;
    }
    const failure = this.failures.find((f) => f.route === `${route.method} ${route.pattern}` && f.remaining > 0);
    if (failure) {
      failure.remaining--;
      record(failure.status, installationId);
      send(failure.status, failure.body, failure.headers);
      return;
    }
    const response = await route.handler({ method, path: url.pathname, params, query: url.searchParams, body, headers: req.headers, auth });
    record(response.status, installationId);
    send(response.status, response.body, response.headers);
  }
}
