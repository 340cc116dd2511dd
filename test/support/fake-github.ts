import { createPublicKey, generateKeyPairSync, randomBytes, verify, type KeyObject } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { GitServer } from './git-server.js';

/** Who made a request, as GitHub would see it. */
export type FakeAuth =
  | { kind: 'app'; appId: string }
  | { kind: 'installation'; token: string; installationId: number; repos: string[] }
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
  /** The route pattern that answered, e.g. `POST /repos/:owner/:repo/pulls`; null if none did. */
  route: string | null;
  path: string;
  query: string;
  body: Record<string, unknown>;
  auth: FakeAuth['kind'];
  /** The installation whose token made the call, if one did. */
  installationId: number | null;
  status: number;
  /** When the call arrived (Date.now()), for write order and latency. */
  at: number;
}

export interface FakeRepo {
  owner: string;
  name: string;
  defaultBranch: string;
  installationId: number;
  private: boolean;
}

export interface FakePull {
  number: number;
  owner: string;
  repo: string;
  head: string;
  base: string;
  title: string;
  body: string;
  draft: boolean;
  state: 'open' | 'closed';
  /** Who opened it (default: the app's bot). */
  user?: string;
  /** `owner/repo` of the head branch when it is a fork's. */
  headRepo?: string;
  authorAssociation?: string;
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

export interface FakeGitHubOptions {
  /** Where clone URLs point, and which server accepts the installation tokens this fake mints. */
  gitServer?: GitServer;
  /** Path prefix of the REST API: '' for api.github.com, '/api/v3' for GitHub Enterprise Server. */
  prefix?: string;
  appId?: number;
  /** Token lifetime in ms (GitHub: one hour). */
  tokenTtlMs?: number;
}

interface Route {
  method: string;
  pattern: string;
  regex: RegExp;
  keys: string[];
  handler: FakeHandler;
}

interface Failure {
  method: string;
  pattern: string;
  status: number;
  remaining: number;
  headers: Record<string, string>;
  body: unknown;
}

const appSlug = 'errand-test';

/**
 * GitHub's REST API as far as Errand uses it, on 127.0.0.1, for the real Octokit (`baseUrl`).
 * A route table answers; every call is recorded; a request no route answers is a test failure
 * (`assertNoUnexpected`). Installation tokens it mints (`ghs_…`) are accepted by the git server
 * for the installation's repositories, so a passing push proves the installation token was used.
 * Conversations (issue and review comments, reactions), collaborator permissions and repository
 * files are kept here too; tests add or replace endpoints with `route()`.
 */
export class FakeGitHub {
  readonly appId: number;
  readonly appSlug = appSlug;
  readonly botLogin = `${appSlug}[bot]`;
  readonly privateKey: string;
  readonly calls: RecordedCall[] = [];
  readonly unexpected: string[] = [];
  readonly repos = new Map<string, FakeRepo>();
  readonly pulls: FakePull[] = [];
  readonly tokens = new Map<string, { installationId: number; repos: string[]; expiresAt: Date }>();
  /** `owner/repo:login` (lower case) → permission (`admin`, `maintain`, `write`, `triage`, `read`, `none`). */
  readonly permissions = new Map<string, string>();
  readonly comments = new Map<number, FakeComment>();
  readonly reactions: { commentId: number; kind: 'issue' | 'review'; content: string }[] = [];
  /** Repository files (`owner/repo:path`, lower case), e.g. `.github/errand.yml`. */
  readonly files = new Map<string, string>();
  private nextCommentId = 9_000_001;
  private readonly publicKey: KeyObject;
  private readonly routes: Route[] = [];
  private readonly failures: Failure[] = [];
  private readonly prefix: string;
  private readonly tokenTtlMs: number;
  private server: Server | null = null;
  private port = 0;

  private constructor(private readonly options: FakeGitHubOptions) {
    const keys = appKeys();
    this.privateKey = keys.privateKey;
    this.publicKey = keys.publicKey;
    this.appId = options.appId ?? 4242;
    this.prefix = options.prefix ?? '';
    this.tokenTtlMs = options.tokenTtlMs ?? 60 * 60_000;
    this.installDefaultRoutes();
  }

  static async start(options: FakeGitHubOptions = {}): Promise<FakeGitHub> {
    const fake = new FakeGitHub(options);
    fake.server = createServer((req, res) => void fake.handle(req, res));
    fake.server.keepAliveTimeout = 1_000;
    await new Promise<void>((resolve) => fake.server!.listen(0, '127.0.0.1', resolve));
    fake.port = (fake.server.address() as AddressInfo).port;
    return fake;
  }

  /** The Octokit `baseUrl` (with `/api/v3` for an Enterprise-style fake). */
  get url(): string {
    return `http://127.0.0.1:${this.port}${this.prefix}`;
  }

  get webUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** A repository the app is installed on. */
  addRepo(fullName: string, options: { defaultBranch?: string; installationId?: number; private?: boolean } = {}): FakeRepo {
    const [owner = '', name = ''] = fullName.split('/');
    const repo = { owner, name, defaultBranch: options.defaultBranch ?? 'main', installationId: options.installationId ?? 1, private: options.private ?? true };
    this.repos.set(fullName.toLowerCase(), repo);
    return repo;
  }

  grant(repo: string, login: string, permission: string): void {
    this.permissions.set(`${repo}:${login}`.toLowerCase(), permission);
  }

  /** A pull request someone opened (on GitHub, not through the API). */
  addPull(input: { repo: string; number: number; title: string; body: string; user: string; headRef: string; headRepo: string; baseRef: string; authorAssociation?: string }): FakePull {
    const [owner = '', name = ''] = input.repo.split('/');
    const pull: FakePull = {
      number: input.number, owner, repo: name, head: input.headRef, base: input.baseRef, title: input.title, body: input.body, draft: false, state: 'open',
      user: input.user, headRepo: input.headRepo, ...(input.authorAssociation ? { authorAssociation: input.authorAssociation } : {}),
    };
    this.pulls.push(pull);
    return pull;
  }

  /** Adds a comment as if a person had written it (so later reads of the thread see it). */
  addComment(input: Omit<FakeComment, 'createdAt' | 'updatedAt' | 'inReplyTo' | 'userType' | 'authorAssociation'> & Partial<FakeComment>): FakeComment {
    const now = new Date().toISOString();
    const comment: FakeComment = { inReplyTo: null, userType: 'User', authorAssociation: 'NONE', createdAt: now, updatedAt: now, ...input };
    this.comments.set(comment.id, comment);
    return comment;
  }

  /** Comments made by the app in a conversation, oldest first. */
  botComments(repo: string, number: number): FakeComment[] {
    return [...this.comments.values()].filter((c) => c.repo.toLowerCase() === repo.toLowerCase() && c.number === number && c.user === this.botLogin);
  }

  /** Adds (or replaces) an endpoint: `route('GET', '/repos/:owner/:repo/issues/:number', handler)`. */
  route(method: string, pattern: string, handler: FakeHandler): void {
    const keys: string[] = [];
    const source = pattern.replace(/:([a-z_]+)/gi, (_m, key: string) => {
      keys.push(key);
      return '([^/]+)';
    });
    const existing = this.routes.findIndex((r) => r.method === method && r.pattern === pattern);
    const route = { method, pattern, regex: new RegExp(`^${source}$`), keys, handler };
    if (existing >= 0) this.routes[existing] = route;
    else this.routes.push(route);
  }

  /** The next `times` requests to this route answer `status` (a 502, a secondary rate limit). */
  failNext(method: string, pattern: string, status: number, options: { times?: number; headers?: Record<string, string>; body?: unknown } = {}): void {
    this.failures.push({ method, pattern, status, remaining: options.times ?? 1, headers: options.headers ?? {}, body: options.body ?? { message: 'injected failure' } });
  }

  /** Drops failures injected with failNext that have not happened yet. */
  clearFailures(): void {
    this.failures.length = 0;
  }

  callsTo(method: string, pattern: string): RecordedCall[] {
    return this.calls.filter((c) => c.route === `${method} ${pattern}`);
  }

  /** Fails the test if any request reached no route. */
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

  repoJson(repo: FakeRepo): Record<string, unknown> {
    const fullName = `${repo.owner}/${repo.name}`;
    return {
      id: 1000 + [...this.repos.values()].indexOf(repo),
      name: repo.name,
      full_name: fullName,
      owner: { login: repo.owner, type: 'Organization' },
      private: repo.private,
      default_branch: repo.defaultBranch,
      html_url: `${this.webUrl}/${fullName}`,
      clone_url: this.options.gitServer ? this.options.gitServer.repoUrl(fullName) : `${this.webUrl}/${fullName}.git`,
    };
  }

  pullJson(pull: FakePull): Record<string, unknown> {
    const repo = this.repos.get(`${pull.owner}/${pull.repo}`.toLowerCase());
    const repoJson = repo ? this.repoJson(repo) : { full_name: `${pull.owner}/${pull.repo}` };
    const headRepo = pull.headRepo && pull.headRepo.toLowerCase() !== `${pull.owner}/${pull.repo}`.toLowerCase() ? { full_name: pull.headRepo } : repoJson;
    return {
      number: pull.number,
      html_url: `${this.webUrl}/${pull.owner}/${pull.repo}/pull/${pull.number}`,
      state: pull.state,
      draft: pull.draft,
      merged: false,
      merged_at: null,
      title: pull.title,
      body: pull.body,
      user: { login: pull.user ?? this.botLogin, type: pull.user ? 'User' : 'Bot' },
      author_association: pull.authorAssociation ?? 'OWNER',
      head: { ref: pull.head, sha: 'a'.repeat(40), label: `${pull.owner}:${pull.head}`, repo: headRepo },
      base: { ref: pull.base, sha: 'b'.repeat(40), label: `${pull.owner}:${pull.base}`, repo: repoJson },
    };
  }

  private commentJson(comment: FakeComment): Record<string, unknown> {
    const html = comment.kind === 'issue' ? `${this.webUrl}/${comment.repo}/issues/${comment.number}#issuecomment-${comment.id}` : `${this.webUrl}/${comment.repo}/pull/${comment.number}#discussion_r${comment.id}`;
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
      ...(comment.kind === 'issue' ? { issue_url: `${this.url}/repos/${comment.repo}/issues/${comment.number}` } : { pull_request_url: `${this.url}/repos/${comment.repo}/pulls/${comment.number}` }),
    };
  }

  private createComment(kind: 'issue' | 'review', repo: string, number: number, body: string, inReplyTo: number | null): FakeComment {
    return this.addComment({ id: this.nextCommentId++, kind, repo, number, body, user: this.botLogin, userType: 'Bot', inReplyTo });
  }

  private editComment(id: number, kind: 'issue' | 'review', body: string): FakeResponse {
    const comment = this.comments.get(id);
    if (!comment || comment.kind !== kind) return notFound();
    if (comment.user !== this.botLogin) return { status: 403, body: { message: 'Resource not accessible by integration' } };
    comment.body = body;
    comment.updatedAt = new Date().toISOString();
    return { status: 200, body: this.commentJson(comment) };
  }

  /** Comments of one kind in a conversation, oldest first. */
  private thread(kind: 'issue' | 'review', repo: FakeRepo, number: number): Record<string, unknown>[] {
    const fullName = `${repo.owner}/${repo.name}`.toLowerCase();
    return [...this.comments.values()]
      .filter((c) => c.kind === kind && c.repo.toLowerCase() === fullName && c.number === number)
      .sort((a, b) => a.id - b.id)
      .map((c) => this.commentJson(c));
  }

  private installDefaultRoutes(): void {
    this.installAppRoutes();
    this.installPullRoutes();
    this.installConversationRoutes();
  }

  private installAppRoutes(): void {
    this.route('GET', '/app', (req) => {
      if (req.auth.kind !== 'app') return unauthorized('A JSON web token could not be decoded');
      return { status: 200, body: { id: this.appId, slug: this.appSlug, name: 'Errand (test)', owner: { login: 'errand-dev' } } };
    });

    this.route('GET', '/repos/:owner/:repo/installation', (req) => {
      if (req.auth.kind !== 'app') return unauthorized('an app JWT is required');
      const repo = this.repos.get(`${req.params.owner}/${req.params.repo}`.toLowerCase());
      if (!repo) return notFound();
      return { status: 200, body: { id: repo.installationId, app_id: this.appId, account: { login: repo.owner }, target_type: 'Organization' } };
    });

    this.route('GET', '/app/installations', (req) => {
      if (req.auth.kind !== 'app') return unauthorized('an app JWT is required');
      const ids = [...new Set([...this.repos.values()].map((r) => r.installationId))];
      const body = ids.map((id) => {
        const owner = [...this.repos.values()].find((r) => r.installationId === id)!.owner;
        return { id, app_id: this.appId, account: { login: owner }, target_type: 'Organization', repository_selection: 'selected' };
      });
      return { status: 200, body };
    });

    this.route('GET', '/installation/repositories', (req) => {
      if (req.auth.kind !== 'installation') return unauthorized('an installation token is required');
      const auth = req.auth;
      const repos = [...this.repos.values()].filter((r) => auth.repos.some((name) => name.toLowerCase() === `${r.owner}/${r.name}`.toLowerCase()));
      return { status: 200, body: { total_count: repos.length, repository_selection: 'selected', repositories: repos.map((r) => this.repoJson(r)) } };
    });

    this.route('POST', '/app/installations/:id/access_tokens', async (req) => {
      if (req.auth.kind !== 'app') return unauthorized('an app JWT is required');
      const installationId = Number(req.params.id);
      const installed = [...this.repos.values()].filter((r) => r.installationId === installationId);
      if (installed.length === 0) return notFound();
      const wanted = Array.isArray(req.body.repositories) ? (req.body.repositories as string[]) : installed.map((r) => r.name);
      const repos = wanted.map((name) => installed.find((r) => r.name.toLowerCase() === name.toLowerCase()));
      if (repos.some((r) => !r)) return { status: 422, body: { message: 'There is at least one repository that does not exist or is not accessible to the parent installation.' } };
      const token = `ghs_${randomBytes(27).toString('base64url').replace(/[-_]/g, 'x').slice(0, 36)}`;
      const expiresAt = new Date(Date.now() + this.tokenTtlMs);
      const fullNames = repos.map((r) => `${r!.owner}/${r!.name}`);
      this.tokens.set(token, { installationId, repos: fullNames, expiresAt });
      for (const name of fullNames) this.options.gitServer?.allowToken(name, token);
      return {
        status: 201,
        body: { token, expires_at: expiresAt.toISOString(), permissions: { issues: 'write', contents: 'write', pull_requests: 'write', metadata: 'read' }, repository_selection: 'selected' },
      };
    });

    this.route('GET', '/repos/:owner/:repo/collaborators/:user/permission', (req) =>
      this.withRepo(req, (repo) => {
        const permission = this.permissions.get(`${repo.owner}/${repo.name}:${req.params.user}`.toLowerCase()) ?? 'read';
        return { status: 200, body: { permission, role_name: permission, user: { login: req.params.user } } };
      }),
    );

    this.route('GET', '/repos/:owner/:repo/contents/:path', (req) =>
      this.withRepo(req, (repo) => {
        const content = this.files.get(`${repo.owner}/${repo.name}:${req.params.path ?? ''}`.toLowerCase());
        if (content === undefined) return notFound();
        return { status: 200, body: content, headers: { 'content-type': 'application/vnd.github.raw; charset=utf-8' } };
      }),
    );
  }

  private installPullRoutes(): void {

    this.route('GET', '/repos/:owner/:repo', (req) => this.withRepo(req, (repo) => ({ status: 200, body: this.repoJson(repo) })));

    this.route('GET', '/repos/:owner/:repo/pulls', (req) =>
      this.withRepo(req, (repo) => {
        const state = req.query.get('state') ?? 'open';
        const head = req.query.get('head');
        const list = this.pulls.filter(
          (p) => p.owner === repo.owner && p.repo === repo.name && (state === 'all' || p.state === state) && (!head || `${p.owner}:${p.head}` === head),
        );
        return { status: 200, body: list.map((p) => this.pullJson(p)) };
      }),
    );

    this.route('POST', '/repos/:owner/:repo/pulls', (req) =>
      this.withRepo(req, async (repo) => {
        const head = String(req.body.head ?? '');
        const base = String(req.body.base ?? '');
        if (this.pulls.some((p) => p.owner === repo.owner && p.repo === repo.name && p.head === head && p.state === 'open')) {
          return { status: 422, body: { message: 'Validation Failed', errors: [{ resource: 'PullRequest', code: 'custom', message: `A pull request already exists for ${repo.owner}:${head}.` }] } };
        }
        const git = this.options.gitServer;
        if (git) {
          const branches = await git.branches(`${repo.owner}/${repo.name}`);
          if (!branches.includes(head) || !branches.includes(base)) {
            return { status: 422, body: { message: 'Validation Failed', errors: [{ resource: 'PullRequest', field: branches.includes(head) ? 'base' : 'head', code: 'invalid' }] } };
          }
        }
        const pull: FakePull = {
          number: Math.max(0, ...this.pulls.filter((p) => p.owner === repo.owner && p.repo === repo.name).map((p) => p.number)) + 1,
          owner: repo.owner,
          repo: repo.name,
          head,
          base,
          title: String(req.body.title ?? ''),
          body: String(req.body.body ?? ''),
          draft: req.body.draft === true,
          state: 'open',
        };
        this.pulls.push(pull);
        return { status: 201, body: this.pullJson(pull) };
      }),
    );

    this.route('GET', '/repos/:owner/:repo/pulls/:number', (req) =>
      this.withPull(req, (pull) => ({ status: 200, body: this.pullJson(pull) })),
    );

    this.route('PATCH', '/repos/:owner/:repo/pulls/:number', (req) =>
      this.withPull(req, (pull) => {
        if (typeof req.body.title === 'string') pull.title = req.body.title;
        if (typeof req.body.body === 'string') pull.body = req.body.body;
        if (req.body.state === 'open' || req.body.state === 'closed') pull.state = req.body.state;
        return { status: 200, body: this.pullJson(pull) };
      }),
    );
  }

  private installConversationRoutes(): void {
    const repoOf = (p: Record<string, string>) => `${p.owner}/${p.repo}`;
    const react = (kind: 'issue' | 'review') => (req: FakeRequest) =>
      this.withRepo(req, () => {
        const comment = this.comments.get(Number(req.params.id));
        if (!comment) return notFound();
        const content = String(req.body.content);
        const existing = this.reactions.find((r) => r.commentId === comment.id && r.kind === kind && r.content === content);
        if (!existing) this.reactions.push({ commentId: comment.id, kind, content });
        return { status: existing ? 200 : 201, body: { id: this.reactions.length, content, user: { login: this.botLogin } } };
      });
    this.route('POST', '/repos/:owner/:repo/issues/comments/:id/reactions', react('issue'));
    this.route('POST', '/repos/:owner/:repo/pulls/comments/:id/reactions', react('review'));

    this.route('GET', '/repos/:owner/:repo/issues/:number/comments', (req) =>
      this.withRepo(req, (repo) => ({ status: 200, body: this.thread('issue', repo, Number(req.params.number)) })),
    );
    this.route('GET', '/repos/:owner/:repo/pulls/:number/comments', (req) =>
      this.withRepo(req, (repo) => ({ status: 200, body: this.thread('review', repo, Number(req.params.number)) })),
    );
    this.route('POST', '/repos/:owner/:repo/issues/:number/comments', (req) =>
      this.withRepo(req, () => {
        const comment = this.createComment('issue', repoOf(req.params), Number(req.params.number), String(req.body.body), null);
        return { status: 201, body: this.commentJson(comment) };
      }),
    );
    this.route('PATCH', '/repos/:owner/:repo/issues/comments/:id', (req) =>
      this.withRepo(req, () => this.editComment(Number(req.params.id), 'issue', String(req.body.body))),
    );
    this.route('POST', '/repos/:owner/:repo/pulls/:number/comments/:id/replies', (req) =>
      this.withRepo(req, () => {
        const parent = this.comments.get(Number(req.params.id));
        if (!parent || parent.kind !== 'review') return notFound();
        const comment = this.createComment('review', repoOf(req.params), Number(req.params.number), String(req.body.body), parent.inReplyTo ?? parent.id);
        return { status: 201, body: this.commentJson(comment) };
      }),
    );
    this.route('PATCH', '/repos/:owner/:repo/pulls/comments/:id', (req) =>
      this.withRepo(req, () => this.editComment(Number(req.params.id), 'review', String(req.body.body))),
    );
  }

  /** Runs `fn` for a repository the request's installation token may see; 401/404 otherwise. */
  withRepo(req: FakeRequest, fn: (repo: FakeRepo) => FakeResponse | Promise<FakeResponse>): FakeResponse | Promise<FakeResponse> {
    if (req.auth.kind !== 'installation') return unauthorized(req.auth.kind === 'invalid' ? req.auth.reason : 'an installation token is required');
    const fullName = `${req.params.owner}/${req.params.repo}`;
    const repo = this.repos.get(fullName.toLowerCase());
    if (!repo || !req.auth.repos.some((r) => r.toLowerCase() === fullName.toLowerCase())) return notFound();
    return fn(repo);
  }

  private withPull(req: FakeRequest, fn: (pull: FakePull) => FakeResponse): FakeResponse | Promise<FakeResponse> {
    return this.withRepo(req, (repo) => {
      const pull = this.pulls.find((p) => p.owner === repo.owner && p.repo === repo.name && p.number === Number(req.params.number));
      return pull ? fn(pull) : notFound();
    });
  }

  private authOf(header: string | undefined): FakeAuth {
    if (!header) return { kind: 'none' };
    const [scheme = '', value = ''] = header.split(' ');
    if (/^bearer$/i.test(scheme) && value.split('.').length === 3) return this.verifyJwt(value);
    if (/^(token|bearer)$/i.test(scheme)) {
      const known = this.tokens.get(value);
      if (!known) return { kind: 'invalid', reason: 'Bad credentials' };
      if (known.expiresAt.getTime() <= Date.now()) return { kind: 'invalid', reason: 'token expired' };
      return { kind: 'installation', token: value, installationId: known.installationId, repos: known.repos };
    }
    return { kind: 'invalid', reason: `unknown scheme ${scheme}` };
  }

  /** An app JWT: RS256, signed by this app's key, `iss` = app id, not expired. */
  private verifyJwt(jwt: string): FakeAuth {
    const [header = '', payload = '', signature = ''] = jwt.split('.');
    const ok = verify('RSA-SHA256', Buffer.from(`${header}.${payload}`), this.publicKey, Buffer.from(signature, 'base64url'));
    if (!ok) return { kind: 'invalid', reason: 'JWT signature does not verify' };
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as { iss?: unknown; exp?: number };
    if (String(claims.iss) !== String(this.appId)) return { kind: 'invalid', reason: 'JWT iss is not the app id' };
    if (!claims.exp || claims.exp * 1000 < Date.now()) return { kind: 'invalid', reason: 'JWT expired' };
    return { kind: 'app', appId: String(claims.iss) };
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.webUrl);
    const method = req.method ?? 'GET';
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString();
    let body: Record<string, unknown> = {};
    try {
      body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    } catch {
      body = {};
    }
    const auth = this.authOf(req.headers.authorization);
    const path = url.pathname.startsWith(this.prefix) ? url.pathname.slice(this.prefix.length) || '/' : null;
    const route = path === null ? undefined : this.routes.find((r) => r.method === method && r.regex.test(path));
    const send = (response: FakeResponse) => {
      const installationId = auth.kind === 'installation' ? auth.installationId : null;
      this.calls.push({ method, route: route ? `${route.method} ${route.pattern}` : null, path: url.pathname, query: url.search, body, auth: auth.kind, installationId, status: response.status, at: Date.now() });
      res.writeHead(response.status, { 'content-type': 'application/json; charset=utf-8', ...response.headers });
      const payload = response.body;
      res.end(payload === undefined || response.status === 204 ? '' : typeof payload === 'string' ? payload : JSON.stringify(payload));
    };
    if (!route || path === null) {
      this.unexpected.push(`${method} ${url.pathname}${url.search}`);
      send({ status: 404, body: { message: 'Not Found (no route in the fake GitHub)' } });
      return;
    }
    const failure = this.failures.find((f) => f.method === method && f.pattern === route.pattern && f.remaining > 0);
    if (failure) {
      failure.remaining -= 1;
      send({ status: failure.status, body: failure.body, headers: failure.headers });
      return;
    }
    const match = route.regex.exec(path)!;
    const params = Object.fromEntries(route.keys.map((key, i) => [key, decodeURIComponent(match[i + 1] ?? '')]));
    try {
      send(await route.handler({ method, path, params, query: url.searchParams, body, headers: req.headers, auth }));
    } catch (error) {
      this.unexpected.push(`${method} ${url.pathname}: handler threw ${String(error)}`);
      send({ status: 500, body: { message: 'fake GitHub handler failed' } });
    }
  }
}

let keys: { privateKey: string; publicKey: KeyObject } | null = null;

/** One RSA key pair per test process: generating one takes longer than most tests. */
function appKeys(): { privateKey: string; publicKey: KeyObject } {
  if (!keys) {
    const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
    keys = {
      privateKey: pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      publicKey: createPublicKey(pair.publicKey.export({ type: 'spki', format: 'pem' })),
    };
  }
  return keys;
}

function unauthorized(message: string): FakeResponse {
  return { status: 401, body: { message } };
}

function notFound(): FakeResponse {
  return { status: 404, body: { message: 'Not Found' } };
}
