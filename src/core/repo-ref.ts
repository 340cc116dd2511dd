import type { RepoRef } from './agent.js';
import { ErrandError } from './errors.js';

const fullNamePattern = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})\/[A-Za-z0-9._-]{1,100}$/;

/**
 * `owner/name` (a repository on the configured GitHub), an https:// or file:// git URL, or an
 * absolute local path (refused at launch unless the server allows local repositories).
 */
export function parseRepoRef(value: string): RepoRef {
  if (carriesCredentials(value)) throw credentialsInUrl();
  const trimmed = value.trim().replace(/\.git$/, '').replace(/\/+$/, '');
  if (fullNamePattern.test(trimmed)) return { url: trimmed, fullName: trimmed };
  const github = /^https:\/\/github\.com\/([^/]+\/[^/]+)$/.exec(trimmed);
  if (github?.[1] && fullNamePattern.test(github[1])) return { url: github[1], fullName: github[1] };
  if (/^(https?|file):\/\/\S+$/.test(value.trim()) || value.trim().startsWith('/')) return { url: value.trim() };
  throw new ErrandError(
    'invalid_request',
    `${value.includes('@') ? 'that' : `\`${value}\``} is not a repository: use owner/name or an https:// git URL`,
  );
}

/** `https://user:pass@host/…` or `https://token@host/…`: a secret typed into a repository URL. */
export function carriesCredentials(value: string): boolean {
  return /^\s*[a-z][a-z0-9+.-]*:\/\/[^/?#\s]*@/i.test(value);
}

/** Said without the URL, which is never echoed, stored or logged. */
function credentialsInUrl(): ErrandError {
  return new ErrandError(
    'invalid_request',
    'repository URLs must not carry credentials (user:password@ or token@); the URL was not stored. Tokens belong in the GitHub App ' +
      '(give owner/name), in ERRAND_GIT_TOKEN with ERRAND_GIT_TOKEN_URL for a plain git host, or in a secret (`errand secrets set`)',
  );
}

/** A repository on this server's own disk: an absolute path or a file:// URL. */
export function isLocalRepo(repo: RepoRef): boolean {
  return !repo.fullName && (repo.url.startsWith('/') || /^file:\/\//i.test(repo.url));
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
