import type { RepoRef } from '../core/agent.js';
import type { GitAccess, PullRequestInfo, PullRequestRef, RepoHost } from '../core/ports/repo-host.js';
import { remoteDefaultBranch, remoteUrl } from './remote.js';

/** A token for every remote whose URL starts with `urlPrefix`, and for no other. */
export interface RemoteCredential {
  urlPrefix: string;
  token: string;
  username?: string;
}

export interface PlainRemoteHostOptions {
  credentials?: RemoteCredential[];
}

/**
 * Any git remote by URL: https (with a token from configuration when its URL prefix matches),
 * file:// or an absolute local path for the quick start. There are no pull requests: the agent's
 * branch is pushed and that is the result.
 */
export class PlainRemoteHost implements RepoHost {
  private readonly credentials: RemoteCredential[];

  constructor(options: PlainRemoteHostOptions = {}) {
    this.credentials = (options.credentials ?? []).map((c) => ({ ...c, urlPrefix: withSlash(c.urlPrefix) }));
  }

  handles(repo: RepoRef): boolean {
    if (repo.fullName) return false;
    return /^(https?|file):\/\//i.test(repo.url) || repo.url.startsWith('/');
  }

  async access(repo: RepoRef): Promise<GitAccess> {
    // A token is sent only to the remote it was configured for, never to a URL someone typed.
    const credential = this.credentials.find((c) => withSlash(repo.url).startsWith(c.urlPrefix));
    const access: GitAccess = { url: repo.url, token: credential?.token ?? null };
    if (credential?.username) access.username = credential.username;
    remoteUrl(access);
    return access;
  }

  async defaultBranch(repo: RepoRef): Promise<string> {
    return remoteDefaultBranch(await this.access(repo));
  }

  async openPullRequest(): Promise<PullRequestRef | null> {
    return null;
  }

  async findPullRequest(): Promise<PullRequestInfo | null> {
    return null;
  }

  async getPullRequest(): Promise<PullRequestInfo | null> {
    return null;
  }
}

function withSlash(url: string): string {
  return url.endsWith('/') ? url : `${url}/`;
}
