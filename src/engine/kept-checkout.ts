import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { GitAccess } from '../core/index.js';
import { runGit } from '../git/git.js';
import { checkout, fetchBranches, remoteHeads } from '../git/remote.js';
import type { HostCheckout } from './host-checkout.js';

/**
 * A follow-up on the worker whose last run of the agent left its machine warm: that run's host
 * checkout is still here, its work committed and pushed. Instead of cloning again, one `ls-remote`
 * says whether anything moved, and only a moved base is fetched. Null when the checkout cannot be
 * reused as it is (none kept, another branch checked out, the agent's branch moved, vanished or
 * holds a commit that was never pushed, or the base moved under a branch never pushed): the
 * caller clones as before.
 */
export async function reuseCheckout(access: GitAccess, dir: string, base: string, branch: string, signal?: AbortSignal): Promise<HostCheckout | null> {
  // HEAD names the branch (a file read); one for-each-ref has every commit needed, while one ls-remote asks the remote.
  const headFile = await readFile(join(dir, '.git', 'HEAD'), 'utf8').catch(() => '');
  const current = /^ref: refs\/heads\/(.+)$/.exec(headFile.trim())?.[1];
  if (current !== branch) return null;
  const [refs, remote] = await Promise.all([
    runGit(['for-each-ref', '--format=%(objectname) %(refname)', `refs/heads/${branch}`, `refs/remotes/origin/${branch}`, `refs/remotes/origin/${base}`], { ...checkout(dir), okExitCodes: [128] })
      .then((result) => new Map(result.stdout.split('\n').filter(Boolean).map((line) => [line.slice(line.indexOf(' ') + 1), line.slice(0, line.indexOf(' '))] as const))),
    remoteHeads(access, [base, branch], signal),
  ]);
  const head = refs.get(`refs/heads/${branch}`) ?? null;
  const trackedBranch = refs.get(`refs/remotes/origin/${branch}`) ?? null;
  const trackedBase = refs.get(`refs/remotes/origin/${base}`) ?? null;
  if (!head) return null;
  const remoteBranch = remote.get(branch) ?? null;
  const remoteBase = remote.get(base) ?? null;
  if (remoteBranch) {
    // Pushed: the remote must still be exactly where this checkout pushed it.
    if (remoteBranch !== trackedBranch || remoteBranch !== head) return null;
  } else if (trackedBranch || head !== trackedBase || remoteBase !== trackedBase) {
    // Never pushed: nothing may have been committed here, and the base must not have moved.
    return null;
  }
  if (remoteBase && remoteBase !== trackedBase) await fetchBranches(access, dir, [base], signal);
  return { existingBranch: remoteBranch !== null, submodules: [] };
}

/** Which base the kept checkout was made from (written when its run ends with the machine warm). */
export async function keepBase(dir: string, base: string): Promise<void> {
  await writeFile(join(dir, '.git', 'errand-base'), `${base}\n`);
}

export async function readKeptBase(dir: string): Promise<string | null> {
  return readFile(join(dir, '.git', 'errand-base'), 'utf8').then((text) => text.trim() || null, () => null);
}
