import { join } from 'node:path';
import type { GitAccess } from '../core/ports/repo-host.js';
import { ErrandError } from '../core/errors.js';
import { protectedBranchProblem, type ProtectedBranches } from '../core/protected-branch.js';
import { runGit, type GitCredentials } from './git.js';

const loopback = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

/**
 * Checks a remote before git sees it: no credentials inside the URL (they would land in
 * .git/config and in error messages), and a token only over https (or http to this machine).
 */
export function remoteUrl(access: GitAccess): string {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(access.url)) {
    const url = new URL(access.url);
    if (url.username || url.password) {
      throw new ErrandError('not_configured', 'the git remote URL carries credentials: put the token in configuration, not in the URL');
    }
    if (!['https:', 'http:', 'file:'].includes(url.protocol)) {
      throw new ErrandError('invalid_request', `git remotes over ${url.protocol} are not supported: use https://, file:// or a local path`);
    }
    if (access.token && url.protocol === 'http:' && !loopback.has(url.hostname)) {
      throw new ErrandError('not_configured', `refusing to send a git token over plain http to ${url.hostname}: use https`);
    }
    return access.url;
  }
  if (access.url.startsWith('/')) return access.url;
  throw new ErrandError('invalid_request', 'a git remote must be an https:// or file:// URL or an absolute path');
}

export function credentialsOf(access: GitAccess): GitCredentials | null {
  if (!access.token) return null;
  return access.username ? { token: access.token, username: access.username } : { token: access.token };
}

export function gitDirOf(dir: string): string {
  return join(dir, '.git');
}

/** Git's options for a host checkout: its own `.git`, its own working tree, never discovery. */
export function checkout(dir: string): { gitDir: string; workTree: string } {
  return { gitDir: gitDirOf(dir), workTree: dir };
}

export interface CloneOptions {
  /** The branch to check out; the remote's default branch when unset. */
  branch?: string;
  /** Shallow clone depth; full history when unset (the agent reads `git log`). */
  depth?: number;
  signal?: AbortSignal;
}

/** Clones onto the host. The token is sent as a header and is written nowhere in `dir`. */
export async function clone(access: GitAccess, dir: string, options: CloneOptions = {}): Promise<void> {
  const args = ['clone', '--no-tags', '--origin', 'origin'];
  if (options.branch) args.push('--branch', options.branch);
  if (options.depth) args.push('--depth', String(options.depth));
  if (access.url.startsWith('/')) args.push('--no-hardlinks');
  args.push('--', remoteUrl(access), dir);
  await runGit(args, { credentials: credentialsOf(access), ...(options.signal ? { signal: options.signal } : {}) });
}

/** Fetches one remote branch into `refs/remotes/origin/<branch>`; false if the remote has no such branch. */
export async function fetchBranch(access: GitAccess, dir: string, branch: string, signal?: AbortSignal): Promise<boolean> {
  if (!(await remoteBranchExists(access, branch, signal))) return false;
  await runGit(['fetch', '--no-tags', '--', remoteUrl(access), `+refs/heads/${branch}:refs/remotes/origin/${branch}`], {
    ...checkout(dir),
    credentials: credentialsOf(access),
    ...(signal ? { signal } : {}),
  });
  return true;
}

export interface PushOptions {
  /** Replace the remote branch even if it moved (only for the agent's own branch). */
  force?: boolean;
  /** The base, default and protected branches: a push to any of them is refused before git runs. */
  protect?: ProtectedBranches;
  signal?: AbortSignal;
}

/**
 * A push into a repository on this machine runs `git receive-pack` here, in that repository, with
 * its hooks (pre-receive, update, post-receive, post-update, reference-transaction) and config:
 * command-scope config for the receiving side switches every hook off.
 */
export const localReceivePack = 'git -c core.hooksPath=/dev/null receive-pack';

export function isLocalRemote(url: string): boolean {
  return url.startsWith('/') || /^file:\/\//i.test(url);
}

/** Pushes the local branch to the same name on the remote, straight to the URL (no stored remote config). */
export async function push(access: GitAccess, dir: string, branch: string, options: PushOptions = {}): Promise<void> {
  if (options.protect) {
    const problem = protectedBranchProblem(branch, options.protect);
    if (problem) throw new ErrandError('git_failed', `refusing to push to ${problem}: the agent only pushes its own branch`);
  }
  const refspec = `${options.force ? '+' : ''}refs/heads/${branch}:refs/heads/${branch}`;
  const url = remoteUrl(access);
  const receive = isLocalRemote(url) ? [`--receive-pack=${localReceivePack}`] : [];
  await runGit(['push', '--no-verify', '--porcelain', ...receive, '--', url, refspec], {
    ...checkout(dir),
    credentials: credentialsOf(access),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  // Keep the remote-tracking ref in step so a later diffstat against origin/<branch> is right.
  await runGit(['update-ref', `refs/remotes/origin/${branch}`, `refs/heads/${branch}`], checkout(dir));
}

async function lsRemote(access: GitAccess, options: string[], patterns: string[], signal?: AbortSignal): Promise<string> {
  const { stdout } = await runGit(['ls-remote', ...options, '--', remoteUrl(access), ...patterns], {
    credentials: credentialsOf(access),
    ...(signal ? { signal } : {}),
  });
  return stdout;
}

export async function remoteBranchExists(access: GitAccess, branch: string, signal?: AbortSignal): Promise<boolean> {
  const out = await lsRemote(access, ['--heads'], [`refs/heads/${branch}`], signal);
  return out.trim().length > 0;
}

/** What one `ls-remote` says about some branches: their commits (those the remote has) and its default branch. */
export interface RemoteHeads {
  heads: Map<string, string>;
  /** The branch the remote's HEAD names (null when it does not say). */
  defaultBranch: string | null;
}

/** The remote's commit of each of these branches that it has, and which branch its HEAD names (one `ls-remote`). */
export async function remoteHeads(access: GitAccess, branches: string[], signal?: AbortSignal): Promise<RemoteHeads> {
  const out = await lsRemote(access, ['--symref'], ['HEAD', ...branches.map((branch) => `refs/heads/${branch}`)], signal);
  const heads = new Map<string, string>();
  let defaultBranch: string | null = null;
  for (const line of out.split('\n')) {
    const symref = /^ref: refs\/heads\/(\S+)\tHEAD$/.exec(line.trim());
    if (symref) defaultBranch = symref[1]!;
    const match = /^([0-9a-f]{40,64})\trefs\/heads\/(.+)$/.exec(line.trim());
    if (match && branches.includes(match[2]!)) heads.set(match[2]!, match[1]!);
  }
  return { heads, defaultBranch };
}

/** Fetches these remote branches into `refs/remotes/origin/<branch>` in one `git fetch`. */
export async function fetchBranches(access: GitAccess, dir: string, branches: string[], signal?: AbortSignal): Promise<void> {
  if (branches.length === 0) return;
  await runGit(['fetch', '--no-tags', '--', remoteUrl(access), ...branches.map((branch) => `+refs/heads/${branch}:refs/remotes/origin/${branch}`)], {
    ...checkout(dir),
    credentials: credentialsOf(access),
    ...(signal ? { signal } : {}),
  });
}

/** The branch the remote's HEAD points at (its default branch). */
export async function remoteDefaultBranch(access: GitAccess, signal?: AbortSignal): Promise<string> {
  const out = await lsRemote(access, ['--symref'], ['HEAD'], signal);
  const match = /^ref: refs\/heads\/(\S+)\tHEAD$/m.exec(out);
  if (!match?.[1]) throw new ErrandError('git_failed', 'the remote does not say which branch is its default (no HEAD)');
  return match[1];
}
