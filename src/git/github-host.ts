import { createAppAuth } from '@octokit/auth-app';
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import { Octokit } from '@octokit/rest';
import { z } from 'zod';
import type { RepoRef } from '../core/agent.js';
import { ErrandError, type ErrorCode } from '../core/errors.js';
import type { Metrics } from '../core/ports/metrics.js';
import type { GitAccess, PullRequestInfo, PullRequestInput, PullRequestRef, RepoHost } from '../core/ports/repo-host.js';
import { systemClock, type Clock, type Log } from '../core/ports/runtime.js';

export const GitHubOctokit = Octokit.plugin(retry, throttling);
export type GitHubOctokit = InstanceType<typeof GitHubOctokit>;
type OctokitOptions = NonNullable<ConstructorParameters<typeof GitHubOctokit>[0]>;

export interface GitHubHostOptions {
  appId: string | number;
  privateKey: string;
  /** REST API root; `https://HOST/api/v3` for GitHub Enterprise Server (config `githubApiUrl`). */
  baseUrl?: string;
  log: Log;
  clock?: Clock;
  /** Mint a new installation token when the cached one has less than this left (default 10 min). */
  refreshMarginMs?: number;
  /** Every minted token is registered here so logs and posts scrub it. */
  onToken?: (token: string) => void;
  /** Extra Octokit options (tests shorten retry waits; `request.fetch`). */
  octokit?: Omit<Partial<OctokitOptions>, 'throttle'>;
  /**
   * Rate-limit bookkeeping: hosts with the same `id` share it (default: one per process);
   * `retryAfterBaseValue` is the ms per second of GitHub's retry-after (tests shorten it).
   */
  throttle?: { id?: string; retryAfterBaseValue?: number };
  /** Counts API errors and rate-limit waits. */
  metrics?: Metrics;
}

/** The parts of GitHub's answers we use; unknown fields are kept (outside data is read tolerantly). */
const RepoData = z.looseObject({ clone_url: z.string(), default_branch: z.string(), full_name: z.string() });
const ListedRepo = z.looseObject({ name: z.string(), html_url: z.string(), owner: z.looseObject({ login: z.string() }) });
const PullData = z.looseObject({
  number: z.number(),
  html_url: z.string(),
  state: z.enum(['open', 'closed']),
  draft: z.boolean().optional(),
  merged: z.boolean().optional(),
  merged_at: z.string().nullable().optional(),
  head: z.looseObject({ ref: z.string(), repo: z.looseObject({ full_name: z.string() }).nullable() }),
  base: z.looseObject({ ref: z.string(), repo: z.looseObject({ full_name: z.string() }) }),
});

interface CachedToken {
  token: string;
  expiresAt: Date;
  api: GitHubOctokit;
}

/**
 * A GitHub App's view of GitHub (or GitHub Enterprise Server): installation tokens scoped to one
 * repository, minted on demand and re-minted before they expire, for host-side git and for the
 * REST calls (pull requests). 5xx answers are retried; primary and secondary rate limits wait.
 */
export class GitHubHost implements RepoHost {
  private readonly app: GitHubOctokit;
  private readonly clock: Clock;
  private readonly marginMs: number;
  private readonly installations = new Map<string, number>();
  private readonly tokens = new Map<string, Promise<CachedToken>>();

  constructor(private readonly options: GitHubHostOptions) {
    this.clock = options.clock ?? systemClock;
    this.marginMs = options.refreshMarginMs ?? 10 * 60_000;
    this.app = this.octokit({ authStrategy: createAppAuth, auth: { appId: options.appId, privateKey: options.privateKey } });
  }

  handles(repo: RepoRef): boolean {
    return Boolean(repo.fullName);
  }

  async access(repo: RepoRef, signal?: AbortSignal): Promise<GitAccess> {
    const { owner, name } = split(repo);
    const cached = await this.token(repo);
    const data = await this.call('read the repository', () =>
      cached.api.rest.repos.get({ owner, repo: name, ...(signal ? { request: { signal } } : {}) }),
    );
    const { clone_url } = RepoData.parse(data);
    return { url: clone_url, token: cached.token, username: 'x-access-token', expiresAt: cached.expiresAt.toISOString() };
  }

  async defaultBranch(repo: RepoRef): Promise<string> {
    const { owner, name } = split(repo);
    const { api } = await this.token(repo);
    return RepoData.parse(await this.call('read the repository', () => api.rest.repos.get({ owner, repo: name }))).default_branch;
  }

  async openPullRequest(input: PullRequestInput): Promise<PullRequestRef | null> {
    const pull = await this.openOrFind(input);
    return { ...pull, installationId: await this.installationId(input.repo) };
  }

  async findPullRequest(repo: RepoRef, head: string): Promise<PullRequestInfo | null> {
    const found = await this.findOpen(repo, head);
    return found ? { ...found, installationId: await this.installationId(repo) } : null;
  }

  private async openOrFind(input: PullRequestInput): Promise<PullRequestRef> {
    const existing = await this.findPullRequest(input.repo, input.head);
    if (existing) return { number: existing.number, url: existing.url };
    const { owner, name } = split(input.repo);
    const { api } = await this.token(input.repo);
    const create = (draft: boolean) =>
      api.rest.pulls.create({ owner, repo: name, head: input.head, base: input.base, title: input.title, body: input.body, draft });
    try {
      const pull = PullData.parse((await create(input.draft)).data);
      this.options.log.info({ repo: input.repo.fullName, number: pull.number }, 'pull request opened');
      return { number: pull.number, url: pull.html_url };
    } catch (error) {
      if (status(error) !== 422) throw fromGitHub(error, 'open the pull request');
      // Someone opened it in between, or the repository has no draft pull requests.
      const raced = await this.findPullRequest(input.repo, input.head);
      if (raced) return { number: raced.number, url: raced.url };
      if (!input.draft) throw fromGitHub(error, 'open the pull request');
      const pull = PullData.parse(await this.call('open the pull request', () => create(false)));
      return { number: pull.number, url: pull.html_url };
    }
  }

  private async findOpen(repo: RepoRef, head: string): Promise<PullRequestInfo | null> {
    const { owner, name } = split(repo);
    const { api } = await this.token(repo);
    const data = await this.call('list pull requests', () =>
      api.rest.pulls.list({ owner, repo: name, head: `${owner}:${head}`, state: 'open', per_page: 10 }),
    );
    const pulls = z.array(PullData).parse(data).filter((p) => p.head.ref === head && p.head.repo?.full_name === p.base.repo.full_name);
    return pulls[0] ? info(pulls[0]) : null;
  }

  async getPullRequest(repo: RepoRef, number: number): Promise<PullRequestInfo | null> {
    const { owner, name } = split(repo);
    const { api } = await this.token(repo);
    try {
      const pull = info(PullData.parse((await api.rest.pulls.get({ owner, repo: name, pull_number: number })).data));
      return { ...pull, installationId: await this.installationId(repo) };
    } catch (error) {
      if (status(error) === 404) return null;
      throw fromGitHub(error, 'read the pull request');
    }
  }

  async updatePullRequestBody(repo: RepoRef, number: number, body: string): Promise<void> {
    const { owner, name } = split(repo);
    const { api } = await this.token(repo);
    await this.call('update the pull request', () => api.rest.pulls.update({ owner, repo: name, pull_number: number, body }));
  }

  /** Every repository the App's installations reach, for `GET /v0|v1/repositories`. */
  async listRepositories(): Promise<{ owner: string; name: string; repository: string }[]> {
    const installations = z.array(z.looseObject({ id: z.number() })).parse(
      await this.call('list the app installations', () => this.app.paginate('GET /app/installations', { per_page: 100 })),
    );
    const found: { owner: string; name: string; repository: string }[] = [];
    for (const installation of installations) {
      const api = this.octokit({ authStrategy: createAppAuth, auth: { appId: this.options.appId, privateKey: this.options.privateKey, installationId: installation.id } });
      const repos = z.array(ListedRepo).parse(await this.call('list the installation repositories', () => api.paginate('GET /installation/repositories', { per_page: 100 })));
      for (const repo of repos) found.push({ owner: repo.owner.login, name: repo.name, repository: repo.html_url });
    }
    return found;
  }

  /** The repository's installation token, minted when missing or about to expire. */
  private token(repo: RepoRef): Promise<CachedToken> {
    const key = repo.fullName!.toLowerCase();
    const now = this.clock.now().getTime();
    const cached = this.tokens.get(key);
    const fresh = cached?.then((t) => (t.expiresAt.getTime() - now > this.marginMs ? t : null), () => null) ?? Promise.resolve(null);
    const next = fresh.then((t) => t ?? this.mint(repo));
    this.tokens.set(key, next);
    next.catch(() => this.tokens.delete(key));
    return next;
  }

  private async mint(repo: RepoRef): Promise<CachedToken> {
    const { owner, name } = split(repo);
    const installationId = await this.installationId(repo);
    const auth = (await this.call('mint an installation token', () =>
      this.app.auth({ type: 'installation', installationId, repositoryNames: [name], refresh: true }),
    )) as { token: string; expiresAt: string };
    this.options.onToken?.(auth.token);
    this.options.log.debug({ repo: `${owner}/${name}`, installationId, expiresAt: auth.expiresAt }, 'installation token minted');
    return { token: auth.token, expiresAt: new Date(auth.expiresAt), api: this.octokit({ auth: auth.token }) };
  }

  private async installationId(repo: RepoRef): Promise<number> {
    const { owner, name } = split(repo);
    const key = `${owner}/${name}`.toLowerCase();
    const known = this.installations.get(key);
    if (known) return known;
    try {
      const { data } = await this.app.rest.apps.getRepoInstallation({ owner, repo: name });
      this.installations.set(key, data.id);
      return data.id;
    } catch (error) {
      if (status(error) === 404) {
        throw new ErrandError('forbidden', `the GitHub App is not installed on ${owner}/${name}: install it on that repository, then try again`, { cause: error });
      }
      throw fromGitHub(error, 'find the app installation');
    }
  }

  private octokit(extra: Partial<OctokitOptions>): GitHubOctokit {
    const log = this.options.log;
    const limit = (kind: string) => (retryAfter: number, request: { method?: string; url?: string }, _octokit: unknown, retryCount: number) => {
      log.warn({ kind, retryAfter, method: request.method, url: request.url, retryCount }, 'github rate limit hit');
      this.options.metrics?.rateLimitWait('github', retryAfter);
      return retryCount < 2;
    };
    const own = this.options.octokit ?? {};
    const octokit = new GitHubOctokit({
      ...(this.options.baseUrl ? { baseUrl: this.options.baseUrl.replace(/\/+$/, '') } : {}),
      userAgent: 'errand',
      log: { debug: () => {}, info: () => {}, warn: (m: string) => log.warn({ detail: m }, 'octokit warning'), error: (m: string) => log.error({ detail: m }, 'octokit error') },
      ...own,
      ...extra,
      throttle: { onRateLimit: limit('primary'), onSecondaryRateLimit: limit('secondary'), ...this.options.throttle },
    });
    const { metrics } = this.options;
    if (metrics) {
      octokit.hook.error('request', (error) => {
        metrics.platformApiError('github', String(status(error) ?? 'network'));
        throw error;
      });
    }
    return octokit;
  }

  private async call<T>(what: string, fn: () => Promise<{ data: T } | T>): Promise<T> {
    try {
      const result = await fn();
      return result && typeof result === 'object' && 'data' in result ? (result as { data: T }).data : (result as T);
    } catch (error) {
      throw fromGitHub(error, what);
    }
  }
}

function split(repo: RepoRef): { owner: string; name: string } {
  const [owner, name] = (repo.fullName ?? '').split('/');
  if (!owner || !name) throw new ErrandError('invalid_request', `${repo.url} is not a GitHub repository (owner/name)`);
  return { owner, name };
}

function info(pull: z.infer<typeof PullData>): PullRequestInfo {
  return {
    number: pull.number,
    url: pull.html_url,
    state: pull.state,
    merged: Boolean(pull.merged ?? pull.merged_at),
    draft: Boolean(pull.draft),
    head: pull.head.ref,
    base: pull.base.ref,
    sameRepo: pull.head.repo?.full_name === pull.base.repo.full_name,
  };
}

function status(error: unknown): number | undefined {
  const value = (error as { status?: unknown } | null)?.status;
  return typeof value === 'number' ? value : undefined;
}

/** GitHub's HTTP status decides what happens next; the message says which call failed. */
export function fromGitHub(error: unknown, what: string): ErrandError {
  if (error instanceof ErrandError) return error;
  const code = status(error);
  const mapped: ErrorCode =
    code === 401 || code === 403 ? 'forbidden' : code === 404 ? 'not_found' : code === 422 ? 'conflict' : code !== undefined && code >= 500 ? 'unavailable' : 'internal';
  return new ErrandError(mapped, `GitHub refused to ${what}${code ? ` (HTTP ${code})` : ''}`, { cause: error });
}
