import type { RepoRef } from '../agent.js';

/** Credentials for one git operation; they stay on the host and never enter a container. */
export interface GitAccess {
  /** https URL of the remote, without credentials. */
  url: string;
  /** Sent as an HTTP Authorization header by host-side git; null for public or local remotes. */
  token: string | null;
  username?: string;
}

export interface PullRequestInput {
  repo: RepoRef;
  head: string;
  base: string;
  title: string;
  body: string;
  draft: boolean;
}

export interface PullRequestRef {
  number: number;
  url: string;
}

export interface RepoHost {
  /** Whether this host serves the repo (a GitHub full name, a URL it knows). */
  handles(repo: RepoRef): boolean;
  access(repo: RepoRef, signal?: AbortSignal): Promise<GitAccess>;
  defaultBranch(repo: RepoRef): Promise<string>;
  /** Opens a pull request, or returns the open one for `head` if there is one. */
  openPullRequest(input: PullRequestInput): Promise<PullRequestRef | null>;
}
