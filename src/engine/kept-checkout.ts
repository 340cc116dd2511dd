import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { GitAccess } from '../core/index.js';
import { fetchBranches, remoteHeads } from '../git/remote.js';
import type { HostCheckout } from './host-checkout.js';

/** What checking a kept checkout against the remote found. */
export interface KeptCheck {
  /** The checkout, ready to use as it is; null when it cannot be (the caller clones as before). */
  checkout: HostCheckout | null;
  /** The remote's default branch, named by its HEAD in the same `ls-remote` (null when it did not say). */
  defaultBranch: string | null;
}

/**
 * A follow-up on the worker whose last run of the agent left its machine warm: that run's host
 * checkout is still here, its work committed and pushed. Instead of cloning again, one `ls-remote`
 * says whether anything moved (and which branch is the remote's default), and only a moved base is
 * fetched. No checkout when it cannot be reused as it is (none kept, another branch checked out,
 * the agent's branch moved, vanished or holds a commit that was never pushed, or the base moved
 * under a branch never pushed).
 */
export async function checkKeptCheckout(access: GitAccess, dir: string, base: string, branch: string, signal?: AbortSignal): Promise<KeptCheck> {
  // The local refs are file reads; the one ls-remote asks the remote.
  const [refs, remote] = await Promise.all([keptRefs(dir, branch, base), remoteHeads(access, [base, branch], signal)]);
  const none = { checkout: null, defaultBranch: remote.defaultBranch };
  if (!refs || refs.current !== branch || !refs.head) return none;
  const { head, trackedBranch, trackedBase } = refs;
  const remoteBranch = remote.heads.get(branch) ?? null;
  const remoteBase = remote.heads.get(base) ?? null;
  if (remoteBranch) {
    // Pushed: the remote must still be exactly where this checkout pushed it.
    if (remoteBranch !== trackedBranch || remoteBranch !== head) return none;
  } else if (trackedBranch || head !== trackedBase || remoteBase !== trackedBase) {
    // Never pushed: nothing may have been committed here, and the base must not have moved.
    return none;
  }
  if (remoteBase && remoteBase !== trackedBase) await fetchBranches(access, dir, [base], signal);
  return { checkout: { existingBranch: remoteBranch !== null, submodules: [] }, defaultBranch: remote.defaultBranch };
}

interface KeptRefs {
  /** The branch HEAD names. */
  current: string | undefined;
  head: string | null;
  trackedBranch: string | null;
  trackedBase: string | null;
}

/**
 * The kept checkout's branch and commits, read from its ref files (loose refs win over
 * `packed-refs`) instead of a git process; null when there is no checkout. A repository whose refs
 * are stored otherwise reads as having none, so it is cloned again: never a wrong reuse.
 */
async function keptRefs(dir: string, branch: string, base: string): Promise<KeptRefs | null> {
  const gitDir = join(dir, '.git');
  const [headFile, packedFile] = await Promise.all([readFile(join(gitDir, 'HEAD'), 'utf8').catch(() => null), readFile(join(gitDir, 'packed-refs'), 'utf8').catch(() => '')]);
  if (headFile === null) return null;
  const packed = new Map<string, string>();
  for (const line of packedFile.split('\n')) {
    const match = /^([0-9a-f]{40,64}) (refs\/\S+)$/.exec(line.trim());
    if (match) packed.set(match[2]!, match[1]!);
  }
  const read = (ref: string) =>
    readFile(join(gitDir, ref), 'utf8').then(
      (text) => (/^[0-9a-f]{40,64}$/.test(text.trim()) ? text.trim() : null),
      () => packed.get(ref) ?? null,
    );
  const [head, trackedBranch, trackedBase] = await Promise.all([read(`refs/heads/${branch}`), read(`refs/remotes/origin/${branch}`), read(`refs/remotes/origin/${base}`)]);
  return { current: /^ref: refs\/heads\/(.+)$/.exec(headFile.trim())?.[1], head, trackedBranch, trackedBase };
}

/** Which base the kept checkout was made from (written when its run ends with the machine warm). */
export async function keepBase(dir: string, base: string): Promise<void> {
  await writeFile(join(dir, '.git', 'errand-base'), `${base}\n`);
}

export async function readKeptBase(dir: string): Promise<string | null> {
  return readFile(join(dir, '.git', 'errand-base'), 'utf8').then((text) => text.trim() || null, () => null);
}
