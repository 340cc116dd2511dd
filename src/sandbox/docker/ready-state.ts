import type { WorkspaceChanges } from '../../core/ports/sandbox.js';
import { readContainerFile, writeContainerFiles, type ContainerFile } from './container-files.js';
import { execInContainer, type ExecTarget } from './exec.js';

/** Errand's own files in the machine: root-owned, so an unprivileged agent cannot rewrite them. */
export const stateDir = '/var/lib/errand';
const manifestPath = `${stateDir}/ready-manifest`;

/**
 * Lists /workspace's files that are not gitignored with their mode and content hash, as git sees
 * them: a throw-away index seeded from the checkout's (so `git add -A` hashes what changed only),
 * never the checkout's own index. Prints the `ls-files -s -z` listing in base64 (any file name
 * survives the trip).
 */
export const readyListing = `set -e
cd /workspace
command -v git >/dev/null 2>&1 || exit 3
[ -d .git ] || exit 4
index=$(mktemp)
trap 'rm -f "$index"' EXIT
cp .git/index "$index" 2>/dev/null || true
g() { GIT_INDEX_FILE="$index" git -c safe.directory='*' -c core.fsmonitor=false -c gc.auto=0 -c core.hooksPath=/dev/null "$@"; }
g add -A . >/dev/null 2>&1
g ls-files -s -z | base64 -w0`;

/** path → `mode sha`, or null when the machine has no git or /workspace is no checkout. */
async function currentState(target: ExecTarget): Promise<Map<string, string> | null> {
  const result = await execInContainer(target, readyListing, { cwd: '/', timeoutMs: 10 * 60_000, maxOutputBytes: 512 * 1024 * 1024 });
  if (result.exitCode !== 0 || result.truncated) return null;
  return parseListing(result.output.trim());
}

function parseListing(base64: string): Map<string, string> {
  const state = new Map<string, string>();
  for (const record of Buffer.from(base64, 'base64').toString('utf8').split('\0')) {
    const tab = record.indexOf('\t');
    if (tab < 0) continue;
    const [mode, sha] = record.slice(0, tab).split(' ');
    if (mode === '160000') continue; // A submodule: its commit is the host checkout's business.
    state.set(record.slice(tab + 1), `${mode} ${sha}`);
  }
  return state;
}

/**
 * Records /workspace as it is when the environment becomes ready (after install and start), so the
 * agent's commit holds only what changed since, and writes `more` of Errand's files in the same
 * trip (one archive). False when the state cannot be recorded (no git in the image).
 */
export async function recordReadyState(target: ExecTarget, more: ContainerFile[] = []): Promise<boolean> {
  const result = await execInContainer(target, readyListing, { cwd: '/', timeoutMs: 10 * 60_000, maxOutputBytes: 512 * 1024 * 1024 });
  const recorded = result.exitCode === 0 && !result.truncated;
  return writeReadyState(target, recorded ? result.output.trim() : null, more);
}

/** Writes a listing made by `readyListing` (null: none could be made) and `more` in one archive; true if a listing was kept. */
export async function writeReadyState(target: ExecTarget, listing: string | null, more: ContainerFile[] = []): Promise<boolean> {
  await writeContainerFiles(target.docker.getContainer(target.containerId), [
    { path: stateDir, mode: 0o755, uid: 0, gid: 0 },
    ...(listing !== null ? [{ path: manifestPath, content: listing, mode: 0o644, uid: 0, gid: 0 }] : []),
    ...more,
  ]);
  return listing !== null;
}

/** Files new, changed or deleted since the environment became ready; null without a record. */
export async function changesSinceReady(target: ExecTarget): Promise<WorkspaceChanges | null> {
  const saved = await readContainerFile(target.docker.getContainer(target.containerId), manifestPath);
  if (saved === null) return null;
  const ready = parseListing(saved.trim());
  const now = await currentState(target);
  if (!now) return null;
  const changed = [...now].filter(([path, entry]) => ready.get(path) !== entry).map(([path]) => path);
  const deleted = [...ready.keys()].filter((path) => !now.has(path));
  return { changed: changed.sort(), deleted: deleted.sort() };
}
