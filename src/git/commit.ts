import type { GitAccess } from '../core/ports/repo-host.js';
import { ErrandError } from '../core/errors.js';
import { runGit } from './git.js';
import { checkout, fetchBranch } from './remote.js';

export interface GitIdentity {
  name: string;
  email: string;
}

/** A name or e-mail as git needs it: one line, no angle brackets. */
function clean(value: string): string {
  return value.replace(/[\r\n<>]+/g, ' ').trim();
}

export async function assertBranchName(branch: string): Promise<void> {
  const valid = !branch.startsWith('-') && (await runGit(['check-ref-format', '--branch', branch], { okExitCodes: [1, 128, 129] })).exitCode === 0;
  if (!valid) {
    throw new ErrandError('invalid_request', `\`${branch}\` is not a valid branch name`);
  }
}

/** Creates the agent's branch (from `core.branchName`) at HEAD, or at `from`, and checks it out. */
export async function createBranch(dir: string, branch: string, from?: string): Promise<void> {
  await assertBranchName(branch);
  await runGit(['checkout', '-q', '-b', branch, ...(from ? [from] : []), '--'], checkout(dir));
}

/**
 * Checks out a branch that already exists on the remote (a PR's head branch, a resumed agent's
 * branch) as a local branch at the remote's commit. False when the remote has no such branch.
 */
export async function checkoutExisting(access: GitAccess, dir: string, branch: string, signal?: AbortSignal): Promise<boolean> {
  await assertBranchName(branch);
  if (!(await fetchBranch(access, dir, branch, signal))) return false;
  await runGit(['checkout', '-q', '-B', branch, `refs/remotes/origin/${branch}`, '--'], checkout(dir));
  return true;
}

export async function headSha(dir: string): Promise<string | null> {
  const { stdout, exitCode } = await runGit(['rev-parse', '-q', '--verify', 'HEAD^{commit}'], { ...checkout(dir), okExitCodes: [1, 128] });
  return exitCode === 0 ? stdout.trim() : null;
}

export interface CommitOptions {
  message: string;
  /** The bot identity: author and committer. */
  author: GitIdentity;
  /** The person who asked; credited with a `Co-authored-by:` trailer. */
  coAuthor?: GitIdentity | null;
}

/**
 * Stages every change in the host checkout's working tree (additions, edits, deletions; ignored
 * files stay out) and commits it. Returns the new commit, or null when nothing changed.
 */
export async function commitAll(dir: string, options: CommitOptions): Promise<{ sha: string } | null> {
  const repo = checkout(dir);
  await runGit(['add', '--all', '--', '.'], repo);
  const changed = await runGit(['diff', '--cached', '--quiet', '--no-ext-diff', '--no-textconv'], { ...repo, okExitCodes: [1] });
  if (changed.exitCode === 0) return null;
  const name = clean(options.author.name);
  const email = clean(options.author.email);
  const args = ['commit', '-q', '--no-verify', '--cleanup=strip', '-F', '-'];
  if (options.coAuthor) args.push('--trailer', `Co-authored-by: ${clean(options.coAuthor.name)} <${clean(options.coAuthor.email)}>`);
  await runGit(args, {
    ...repo,
    input: options.message.trim() ? options.message : 'Errand changes',
    env: { GIT_AUTHOR_NAME: name, GIT_AUTHOR_EMAIL: email, GIT_COMMITTER_NAME: name, GIT_COMMITTER_EMAIL: email },
  });
  const sha = await headSha(dir);
  if (!sha) throw new ErrandError('git_failed', 'git commit left no HEAD');
  return { sha };
}
