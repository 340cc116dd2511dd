import { appendFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { pack } from 'tar-fs';
import { assertAgentBranch, extraRepoFolders, type Agent, type ExtraRepo, type RepoHost, type SandboxHandle } from '../core/index.js';
import { runGit } from '../git/git.js';
import { checkout } from '../git/remote.js';
import { repoHostFor } from '../git/repo-hosts.js';
import { prepareCheckout } from './host-checkout.js';

/** One extra repository of a multi-repository agent, checked out on the worker host for this run. */
export interface ExtraCheckout {
  extra: ExtraRepo;
  host: RepoHost;
  /** Host directory of the checkout (`<work>/<agent id>-repos/<folder>`). */
  dir: string;
  /** The branch the agent's branch starts from: the repository's default branch. */
  base: string;
  defaultBranch: string;
  /** The agent's branch was on the remote already (a resume after a push). */
  existingBranch: boolean;
}

/** Where the extra repositories of an agent are checked out on the host, beside the primary's checkout. */
export function extraReposDir(primaryDir: string): string {
  return `${primaryDir}-repos`;
}

/** Top-level names the primary's HEAD tracks (an extra repository's folder must not be one). */
async function trackedTopLevel(primaryDir: string): Promise<Set<string>> {
  const { stdout, exitCode } = await runGit(['ls-tree', '--name-only', '-z', 'HEAD'], { ...checkout(primaryDir), okExitCodes: [128] });
  return new Set(exitCode === 0 ? stdout.split('\0').filter(Boolean) : []);
}

/**
 * The agent's extra repositories with their final folders: on its first run a folder the primary
 * already tracks becomes `owner-name`; later runs keep what the record says.
 */
export async function settleFolders(agent: Agent, primaryDir: string, firstRun: boolean): Promise<ExtraRepo[]> {
  const extras = agent.extraRepos ?? [];
  if (!firstRun || extras.length === 0) return extras;
  const tracked = await trackedTopLevel(primaryDir);
  const folders = extraRepoFolders(
    extras.map((extra) => extra.repo),
    (folder) => tracked.has(folder),
  );
  return extras.map((extra, i) => ({ ...extra, path: folders[i]! }));
}

/**
 * Clones each extra repository on the host (tokens stay here, as for the primary) and checks out the
 * agent's branch in it: the remote's copy when it has one, else a new branch from the default branch.
 */
export async function checkoutExtras(
  agent: Agent,
  extras: ExtraRepo[],
  options: { hosts: RepoHost[]; primaryDir: string; protectedBranches: readonly string[]; onToken: (token: string) => void; signal?: AbortSignal },
): Promise<ExtraCheckout[]> {
  const root = extraReposDir(options.primaryDir);
  await mkdir(root, { recursive: true });
  return Promise.all(
    extras.map(async (extra) => {
      const host = repoHostFor(options.hosts, extra.repo);
      const access = await host.access(extra.repo, options.signal);
      if (access.token) options.onToken(access.token);
      const defaultBranch = await host.defaultBranch(extra.repo);
      assertAgentBranch(agent.branch, { base: defaultBranch, defaultBranch, patterns: options.protectedBranches });
      const dir = join(root, extra.path);
      const { existingBranch } = await prepareCheckout(access, dir, defaultBranch, agent.branch, options.signal);
      return { extra, host, dir, base: defaultBranch, defaultBranch, existingBranch };
    }),
  );
}

/** Keeps the extra repositories' folders out of the primary's git (`.git/info/exclude`), so its commit and diff never hold them. */
export async function excludeFromPrimary(primaryDir: string, extras: ExtraRepo[]): Promise<void> {
  if (extras.length === 0) return;
  const info = join(primaryDir, '.git', 'info');
  await mkdir(info, { recursive: true });
  await appendFile(join(info, 'exclude'), `\n# Errand: the agent's other repositories\n${extras.map((extra) => `/${extra.path}/`).join('\n')}\n`);
}

/**
 * Copies each extra checkout into the machine at /workspace/<folder>, owned by the machine's user.
 * In a machine that has the folder already (a resume in the same container) only its `.git` is
 * replaced with the host's fresh one, so the agent's files stay as it left them.
 */
export async function copyExtrasIntoMachine(handle: SandboxHandle, checkouts: ExtraCheckout[]): Promise<void> {
  if (checkouts.length === 0) return;
  const probe = checkouts.map((c) => `if [ -d '/workspace/${c.extra.path}' ]; then rm -rf '/workspace/${c.extra.path}/.git'; echo keep; else echo new; fi`).join('\n');
  const result = await handle.exec(`${probe}\nid -u; id -g`, { cwd: '/', timeoutMs: 60_000 });
  const lines = result.output.trim().split('\n');
  const [uid, gid] = lines.slice(-2).map(Number);
  const states = lines.slice(0, checkouts.length);
  for (const [i, item] of checkouts.entries()) {
    const keep = states[i] === 'keep';
    const root = `workspace/${item.extra.path}`;
    const archive = pack(keep ? join(item.dir, '.git') : item.dir, {
      map: (header) => {
        const top = keep ? `${root}/.git` : root;
        if (header.name === '.') Object.assign(header, { name: top, mode: 0o755 });
        else header.name = `${top}/${header.name}`;
        Object.assign(header, { uid: uid ?? 0, gid: gid ?? 0, uname: '', gname: '' });
        return header;
      },
    });
    await handle.writeArchive('/', archive as unknown as NodeJS.ReadableStream);
  }
}
