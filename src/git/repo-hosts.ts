import type { Config } from '../config.js';
import type { RepoRef } from '../core/agent.js';
import { ErrandError } from '../core/errors.js';
import type { PullRequestInfo, RepoHost } from '../core/ports/repo-host.js';
import type { Metrics } from '../core/ports/metrics.js';
import type { Clock, Log } from '../core/ports/runtime.js';
import { GitHubHost } from './github-host.js';
import { PlainRemoteHost } from './plain-remote-host.js';

export interface RepoHostDeps {
  log: Log;
  clock?: Clock;
  /** Registers each minted token with the process scrubber. */
  onToken?: (token: string) => void;
  /** Counts GitHub API errors and rate-limit waits. */
  metrics?: Metrics;
}

/** The repo hosts the configuration turns on: GitHub when an App is configured, plain remotes always. */
export function repoHostsFromConfig(config: Config, deps: RepoHostDeps): RepoHost[] {
  const hosts: RepoHost[] = [];
  if (config.githubAppId && config.githubPrivateKey) {
    hosts.push(
      new GitHubHost({
        appId: config.githubAppId,
        privateKey: config.githubPrivateKey.replace(/\\n/g, '\n'),
        log: deps.log.child({ component: 'github-host' }),
        ...(config.githubApiUrl ? { baseUrl: config.githubApiUrl } : {}),
        ...(deps.clock ? { clock: deps.clock } : {}),
        ...(deps.onToken ? { onToken: deps.onToken } : {}),
        ...(deps.metrics ? { metrics: deps.metrics } : {}),
      }),
    );
  }
  if (config.gitToken) deps.onToken?.(config.gitToken);
  hosts.push(
    new PlainRemoteHost({
      credentials:
        config.gitToken && config.gitTokenUrl
          ? [{ urlPrefix: config.gitTokenUrl, token: config.gitToken, ...(config.gitTokenUser ? { username: config.gitTokenUser } : {}) }]
          : [],
    }),
  );
  return hosts;
}

/**
 * Lists the repositories the GitHub App's installations reach and those of plain git hosts named
 * in ERRAND_GIT_REPOS (`GET /v0|v1/repositories`); null when there are neither.
 */
export function repositoryListFromConfig(config: Config, deps: RepoHostDeps): (() => Promise<{ owner: string; name: string; repository: string }[]>) | null {
  const github = repoHostsFromConfig(config, deps).find((h): h is GitHubHost => h instanceof GitHubHost);
  const plain = plainRepositories(config.gitRepos);
  if (!github && plain.length === 0) return null;
  return async () => [...(github ? await github.listRepositories() : []), ...plain];
}

/** Reads a GitHub pull request with the App's installation token (`prUrl` launches); null without an App. */
export function pullRequestLookupFromConfig(config: Config, deps: RepoHostDeps): ((repo: RepoRef, number: number) => Promise<PullRequestInfo | null>) | null {
  const github = repoHostsFromConfig(config, deps).find((h): h is GitHubHost => h instanceof GitHubHost);
  return github ? (repo, number) => github.getPullRequest(repo, number) : null;
}

/** A plain git repository URL as the repository list shows it: owner and name from its last two path segments. */
export function plainRepositories(urls: readonly string[]): { owner: string; name: string; repository: string }[] {
  return urls.map((url) => {
    const parts = new URL(url).pathname.replace(/\.git\/?$/, '').split('/').filter(Boolean);
    return { owner: parts.at(-2) ?? new URL(url).hostname, name: parts.at(-1) ?? new URL(url).hostname, repository: url };
  });
}

/**
 * Plain git hosts Errand is configured for (ERRAND_GIT_TOKEN_URL) but cannot list: git has no way
 * to list a server's repositories, so a host none of whose repositories is in ERRAND_GIT_REPOS is
 * named with what to do.
 */
export function unlistedGitHosts(config: Pick<Config, 'gitTokenUrl' | 'gitRepos'>): { url: string; reason: string }[] {
  const prefix = config.gitTokenUrl;
  if (!prefix) return [];
  const under = (url: string) => url.startsWith(prefix.endsWith('/') ? prefix : `${prefix}/`);
  if (config.gitRepos.some(under)) return [];
  return [{ url: prefix, reason: 'plain git hosts cannot be listed: name the repositories to offer in ERRAND_GIT_REPOS' }];
}

/** The host that serves a repo; a GitHub `owner/name` without a GitHub App is a setup mistake. */
export function repoHostFor(hosts: RepoHost[], repo: RepoRef): RepoHost {
  const host = hosts.find((h) => h.handles(repo));
  if (host) return host;
  if (repo.fullName) {
    throw new ErrandError('not_configured', `${repo.fullName} is a GitHub repository but no GitHub App is configured: set GITHUB_APP_ID and GITHUB_PRIVATE_KEY, or give the repository as a git URL`);
  }
  throw new ErrandError('invalid_request', `no repo host serves ${repo.url}`);
}

/**
 * Whether the configuration serves a repository, without any network call: the launch check.
 * `owner/name` needs a GitHub App; URLs go to the plain remote host.
 */
export function repoServedCheck(config: Pick<Config, 'githubAppId' | 'githubPrivateKey'>): (repo: RepoRef) => void {
  const github = Boolean(config.githubAppId && config.githubPrivateKey);
  const plain = new PlainRemoteHost();
  return (repo) => {
    if (repo.fullName ? github : plain.handles(repo)) return;
    repoHostFor([plain], repo);
  };
}
