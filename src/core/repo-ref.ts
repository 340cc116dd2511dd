import type { RepoRef } from './agent.js';
import { ErrandError } from './errors.js';

const fullNamePattern = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})\/[A-Za-z0-9._-]{1,100}$/;

/**
 * `owner/name` (a repository on the configured GitHub), an https:// or file:// git URL, or an
 * absolute local path (for a local quick start and tests).
 */
export function parseRepoRef(value: string): RepoRef {
  const trimmed = value.trim().replace(/\.git$/, '').replace(/\/+$/, '');
  if (fullNamePattern.test(trimmed)) return { url: trimmed, fullName: trimmed };
  const github = /^https:\/\/github\.com\/([^/]+\/[^/]+)$/.exec(trimmed);
  if (github?.[1] && fullNamePattern.test(github[1])) return { url: github[1], fullName: github[1] };
  if (/^(https?|file):\/\/\S+$/.test(value.trim()) || value.trim().startsWith('/')) return { url: value.trim() };
  throw new ErrandError(
    'invalid_request',
    `\`${value}\` is not a repository: use owner/name, an https:// git URL, or an absolute path`,
  );
}

export function repoLabel(repo: RepoRef): string {
  return repo.fullName ?? repo.url;
}

/**
 * How the agent's machine images name its repository (snapshots, builds, settings' `environments`):
 * `owner/name` in lower case, or the URL's path without `.git`; `none` without a repository.
 */
export function machineRepoLabel(repo: RepoRef | null): string {
  if (!repo) return 'none';
  if (repo.fullName) return repo.fullName.toLowerCase();
  const path = /^[a-z]+:\/\//i.test(repo.url) ? new URL(repo.url).pathname : repo.url;
  return path.replace(/^\/+/, '').replace(/\.git$/, '') || repo.url;
}
