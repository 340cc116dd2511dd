import { mkdir, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pack } from 'tar-fs';
import type { GitAccess, SandboxHandle } from '../core/index.js';
import { assertBranchName, checkoutExisting, createBranch } from '../git/commit.js';
import { runGit } from '../git/git.js';
import { checkout, clone, remoteBranchExists } from '../git/remote.js';
import { initSubmodules, type SubmoduleResult } from '../git/submodules.js';

/** The host directory an agent's checkout lives in during a run. */
export function checkoutDir(dataDir: string, agentId: string): string {
  return join(dataDir, 'work', agentId);
}

export async function emptyDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
  await mkdir(dirname(dir), { recursive: true });
}

export interface HostCheckout {
  /** True when the agent's branch already existed on the remote (a resume, a PR's head). */
  existingBranch: boolean;
  /** The checkout's submodules, initialised on the host (or why not). */
  submodules: SubmoduleResult[];
}

/**
 * Clones the base branch onto the host (the token stays here) and checks out the agent's branch:
 * the remote's copy when it has one, else a new branch from the base. Submodules are initialised
 * here too, so the container gets them with the checkout.
 */
export async function prepareCheckout(access: GitAccess, dir: string, base: string, branch: string, signal?: AbortSignal): Promise<HostCheckout> {
  await emptyDir(dir);
  // Whether the agent's branch is on the remote is asked while the base is cloned.
  const [, onRemote] = await Promise.all([clone(access, dir, { branch: base, ...(signal ? { signal } : {}) }), assertBranchName(branch).then(() => remoteBranchExists(access, branch, signal))]);
  const existingBranch = onRemote && (await checkoutExisting(access, dir, branch, signal));
  if (!existingBranch) await createBranch(dir, branch);
  const submodules = await initSubmodules(access, dir, signal);
  return { existingBranch, submodules };
}

/** A ref's commit, or null when the ref does not exist. */
export async function revParse(dir: string, ref: string): Promise<string | null> {
  const { stdout, exitCode } = await runGit(['rev-parse', '-q', '--verify', `${ref}^{commit}`], { ...checkout(dir), okExitCodes: [1, 128] });
  return exitCode === 0 ? stdout.trim() : null;
}

/**
 * A reused container (resume, retry) keeps the agent's files but gets the host's fresh `.git`, so
 * `git status` and `git log` in the container show the branch as pushed. The host's `.git` holds
 * no credential (see docs/git.md). Files are owned by the container's user.
 */
export async function refreshGitDir(handle: SandboxHandle, dir: string): Promise<void> {
  // One exec: the old .git goes, and the user's ids come back for the archive's owners.
  const ids = await handle.exec('rm -rf /workspace/.git; id -u; id -g', { timeoutMs: 60_000 });
  const [uid, gid] = ids.output.trim().split('\n').slice(-2).map(Number);
  const archive = pack(join(dir, '.git'), {
    map: (header) => {
      header.name = header.name === '.' ? 'workspace/.git' : `workspace/.git/${header.name}`;
      Object.assign(header, { uid: uid ?? 0, gid: gid ?? 0, uname: '', gname: '' });
      return header;
    },
  });
  await handle.writeArchive('/', archive as unknown as NodeJS.ReadableStream);
}

/** Paths HEAD tracks under `path` (empty when none, or no HEAD yet). */
export async function lsTree(dir: string, path: string): Promise<string[]> {
  const { stdout, exitCode } = await runGit(['ls-tree', '-r', '--name-only', '-z', 'HEAD', '--', path], { ...checkout(dir), okExitCodes: [128] });
  return exitCode === 0 ? stdout.split('\0').filter(Boolean) : [];
}
