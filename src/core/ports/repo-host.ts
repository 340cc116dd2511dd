import type { RepoRef } from '../agent.js';

/** Credentials for one git operation; they stay on the host and never enter a container. */
export interface GitAccess {
  /** https URL of the remote, without credentials (or a file:// URL / local path for local remotes). */
  url: string;
  /** Sent as an HTTP Authorization header by host-side git; null for public or local remotes. */
  token: string | null;
  /** Basic-auth user name sent with the token (`x-access-token` when unset). */
  username?: string;
  /** ISO time the token stops working; call `access` again before then (long runs). */
  expiresAt?: string;
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
  /** The GitHub App installation that serves the repo, so the PR can be followed as a conversation. */
  installationId?: number;
}

/** What a resumed agent or a mention on a pull request needs to know about it. */
export interface PullRequestInfo extends PullRequestRef {
  state: 'open' | 'closed';
  merged: boolean;
  draft: boolean;
  /** The head branch name. */
  head: string;
  base: string;
  /** False when the head branch lives in a fork (the agent cannot push to it). */
  sameRepo: boolean;
}

export interface RepoHost {
  /** Whether this host serves the repo (a GitHub full name, a URL it knows). */
  handles(repo: RepoRef): boolean;
  access(repo: RepoRef, signal?: AbortSignal): Promise<GitAccess>;
  defaultBranch(repo: RepoRef): Promise<string>;
  /** Opens a pull request, or returns the open one for `head` if there is one; null without a PR concept. */
  openPullRequest(input: PullRequestInput): Promise<PullRequestRef | null>;
  /** The open pull request whose head is `head` in the repo itself, if any (a resumed agent's PR). */
  findPullRequest(repo: RepoRef, head: string): Promise<PullRequestInfo | null>;
  /** A pull request by number (a mention on a PR works on its head branch); null if none. */
  getPullRequest(repo: RepoRef, number: number): Promise<PullRequestInfo | null>;
  /** Replaces a pull request's description (a multi-repository agent links its PRs to each other); absent without a PR concept. */
  updatePullRequestBody?(repo: RepoRef, number: number, body: string): Promise<void>;
}
