import { chmod, cp, mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pack } from 'tar-fs';
import { commitAll, createBranch } from '../../src/git/commit.js';
import { diffstat } from '../../src/git/diffstat.js';
import { PlainRemoteHost } from '../../src/git/plain-remote-host.js';
import { clone, push } from '../../src/git/remote.js';
import { importWorkTree } from '../../src/git/work-tree.js';
import { git, gitTestBed } from '../support/git-server.js';

const token = 'tok_hook_safety_1234567890abcdef';
const bot = { name: 'Errand', email: 'errand-bot@example.com' };
const branch = 'errand/hooks-abc123';

const bed = gitTestBed('errand-hooks-test-');

/** A shell script that leaves `marker` behind if anything ever runs it. */
async function trap(path: string, marker: string, passThrough = false): Promise<void> {
  await writeFile(path, `#!/bin/sh\ntouch '${marker}'\n${passThrough ? 'cat\n' : ''}exit 0\n`);
  await chmod(path, 0o755);
}

/** Programs git runs from a repository's hooks and core settings: hooks, hooksPath, fsmonitor. */
async function plantHooks(repo: string, marker: string): Promise<void> {
  const hooks = join(repo, '.git', 'hooks');
  await mkdir(hooks, { recursive: true });
  for (const hook of ['pre-commit', 'commit-msg', 'post-commit', 'pre-push', 'post-checkout', 'reference-transaction']) {
    await trap(join(hooks, hook), marker);
  }
  await mkdir(join(repo, 'evil-hooks'), { recursive: true });
  await trap(join(repo, 'evil-hooks', 'pre-commit'), marker);
  await trap(join(repo, 'evil-hooks', 'pre-push'), marker);
  await trap(join(repo, 'fsmonitor.sh'), marker);
  await git(['config', 'core.hooksPath', join(repo, 'evil-hooks')], { cwd: repo });
  await git(['config', 'core.fsmonitor', join(repo, 'fsmonitor.sh')], { cwd: repo });
}

/**
 * What an agent could leave in its checkout besides hooks: a clean filter, a diff driver and an
 * external diff, named by .gitattributes and defined in .git/config.
 */
async function plantEverything(repo: string, marker: string): Promise<void> {
  await plantHooks(repo, marker);
  await trap(join(repo, 'filter.sh'), marker, true);
  await git(['config', 'filter.evil.clean', join(repo, 'filter.sh')], { cwd: repo });
  await git(['config', 'filter.evil.smudge', join(repo, 'filter.sh')], { cwd: repo });
  await git(['config', 'diff.evil.textconv', join(repo, 'filter.sh')], { cwd: repo });
  await git(['config', 'diff.external', join(repo, 'filter.sh')], { cwd: repo });
  await writeFile(join(repo, '.gitattributes'), '* filter=evil diff=evil\n');
}

/** The container's /workspace as Docker hands it out: a tar with everything under `workspace/`. */
function workspaceTar(dir: string): Readable {
  // @types/tar-fs types Pack as tar-stream's own class; at run time it is a Readable.
  return pack(dir, { map: (header) => ({ ...header, name: `workspace/${header.name}` }) }) as unknown as Readable;
}

async function setUp() {
  const name = `acme/hooks-${Math.random().toString(36).slice(2, 8)}`;
  const url = await bed.server.createRepo(name, { 'README.md': '# app\n', 'src/app.ts': 'export {};\n' }, { tokens: [token] });
  const access = await new PlainRemoteHost({ credentials: [{ urlPrefix: bed.server.url, token }] }).access({ url });
  const host = join(bed.work, 'host');
  await clone(access, host);
  await createBranch(host, branch);
  // The sandbox copies the checkout into the container; the agent then owns every byte of the copy.
  const container = join(bed.work, 'container');
  await cp(host, container, { recursive: true });
  return { name, access, host, container };
}

describe('git on the host never runs what the agent planted', () => {
  test('the planted traps are live: plain git in the agent checkout would run them', async () => {
    const { container } = await setUp();
    const hookMarker = join(bed.work, 'control-hook-marker');
    await plantHooks(container, hookMarker);
    await git(['commit', '-q', '--allow-empty', '-m', 'control'], { cwd: container });
    expect(existsSync(hookMarker)).toBe(true);

    const filterMarker = join(bed.work, 'control-filter-marker');
    await plantEverything(container, filterMarker);
    await git(['config', '--unset', 'core.fsmonitor'], { cwd: container });
    await git(['config', 'core.hooksPath', '/dev/null'], { cwd: container });
    await writeFile(join(container, 'src/app.ts'), 'export const changed = true;\n');
    await git(['add', '-A'], { cwd: container });
    expect(existsSync(filterMarker)).toBe(true);
  });

  test('hooks, hooksPath, fsmonitor, filters and diff drivers in the agent workspace do not run when the host commits, diffs and pushes', async () => {
    const { name, access, host, container } = await setUp();
    const marker = join(bed.work, 'marker');
    await plantEverything(container, marker);
    await writeFile(join(container, 'src/app.ts'), 'export const changed = true;\n');
    await rm(join(container, 'README.md'));
    await mkdir(join(container, 'docs'));
    await writeFile(join(container, 'docs/guide.md'), 'guide\n');

    await importWorkTree(host, workspaceTar(container));
    const commit = await commitAll(host, { message: 'Agent work', author: bot });
    await diffstat(host, 'origin/main');
    await push(access, host, branch);

    expect(existsSync(marker)).toBe(false);
    expect(commit).not.toBeNull();
    expect(await bed.server.readFile(name, branch, 'src/app.ts')).toBe('export const changed = true;\n');
    expect(await bed.server.readFile(name, branch, 'README.md')).toBeNull();
    expect(await bed.server.readFile(name, branch, 'docs/guide.md')).toBe('guide\n');
    // The agent's files are committed as data, the host's repository config is untouched.
    expect(await bed.server.readFile(name, branch, '.gitattributes')).toBe('* filter=evil diff=evil\n');
    expect(await readFile(join(host, '.git', 'config'), 'utf8')).not.toMatch(/evil|fsmonitor|hooksPath/);
    expect(await bed.server.readFile(name, branch, 'evil-hooks/pre-commit')).toContain('touch');
  });

  test('hooks, hooksPath and fsmonitor set in the host repository itself are overridden on every command', async () => {
    const { access, host } = await setUp();
    const marker = join(bed.work, 'host-marker');
    await plantHooks(host, marker);
    await writeFile(join(host, 'src/app.ts'), 'export const again = 1;\n');
    await commitAll(host, { message: 'host hooks', author: bot });
    await diffstat(host, 'origin/main');
    await push(access, host, branch);
    expect(existsSync(marker)).toBe(false);
  });

  test("the agent's .git directory, nested repositories and a gitdir pointer are not imported", async () => {
    const { name, access, host, container } = await setUp();
    await writeFile(join(container, '.git', 'config'), '[core]\n\tbare = true\n');
    await mkdir(join(container, 'vendor', 'lib', '.git'), { recursive: true });
    await writeFile(join(container, 'vendor', 'lib', '.git', 'HEAD'), 'ref: refs/heads/main\n');
    await writeFile(join(container, 'vendor', 'lib', 'index.js'), 'module.exports = 1;\n');
    await importWorkTree(host, workspaceTar(container));
    expect(existsSync(join(host, 'vendor', 'lib', '.git'))).toBe(false);
    await commitAll(host, { message: 'vendor', author: bot });
    await push(access, host, branch);
    expect(await bed.server.readFile(name, branch, 'vendor/lib/index.js')).toBe('module.exports = 1;\n');
  });

  test('a symlink out of the workspace is refused rather than followed', async () => {
    const { host, container } = await setUp();
    await symlink('/etc', join(container, 'escape'));
    await expect(importWorkTree(host, workspaceTar(container))).rejects.toMatchObject({ code: 'sandbox_failed' });
  });

  test('symlinks inside the workspace are kept as links', async () => {
    const { name, access, host, container } = await setUp();
    await symlink('src/app.ts', join(container, 'link.ts'));
    await importWorkTree(host, workspaceTar(container));
    await commitAll(host, { message: 'link', author: bot });
    await push(access, host, branch);
    const tree = await git(['ls-tree', `refs/heads/${branch}`, 'link.ts'], { cwd: bed.server.bareDir(name) });
    expect(tree).toMatch(/^120000 blob/);
  });

  test("a push into a repository on this machine runs none of the receiving repository's hooks", async () => {
    const receiving = join(bed.work, 'receiving.git');
    await git(['init', '-q', '--bare', '--initial-branch=main', receiving], { cwd: bed.work });
    const marker = join(bed.work, 'receive-marker');
    for (const hook of ['pre-receive', 'update', 'post-receive', 'post-update', 'reference-transaction', 'push-to-checkout']) {
      await trap(join(receiving, 'hooks', hook), marker);
    }
    const seed = join(bed.work, 'seed');
    await git(['init', '-q', '--initial-branch=main', seed], { cwd: bed.work });
    await writeFile(join(seed, 'README.md'), '# local\n');
    await git(['add', '-A'], { cwd: seed });
    await git(['-c', 'user.name=t', '-c', 'user.email=t@example.com', '-c', 'core.hooksPath=/dev/null', 'commit', '-q', '-m', 'seed'], { cwd: seed });
    await git(['-c', 'core.hooksPath=/dev/null', 'push', '-q', `--receive-pack=git -c core.hooksPath=/dev/null receive-pack`, receiving, 'main'], { cwd: seed });
    expect(existsSync(marker)).toBe(false);

    // The traps are live: a plain push into the repository runs them.
    await git(['push', '-q', receiving, 'main:refs/heads/control'], { cwd: seed });
    expect(existsSync(marker)).toBe(true);
    await rm(marker);

    for (const url of [receiving, `file://${receiving}`]) {
      const host = join(bed.work, `host-${url.startsWith('file') ? 'file' : 'path'}`);
      const access = await new PlainRemoteHost().access({ url });
      await clone(access, host);
      await createBranch(host, branch);
      await writeFile(join(host, 'change.txt'), url);
      await commitAll(host, { message: 'local push', author: bot });
      await push(access, host, branch, { force: true });
      expect(existsSync(marker)).toBe(false);
      expect(await git(['show', `refs/heads/${branch}:change.txt`], { cwd: receiving })).toContain(url);
    }
  });

  test('a push to the base, default or a protected branch is refused before git runs', async () => {
    const { name, access, host } = await setUp();
    const before = await bed.server.readFile(name, 'main', 'README.md');
    await git(['checkout', '-q', '-B', 'main'], { cwd: host });
    await writeFile(join(host, 'README.md'), 'overwritten\n');
    await commitAll(host, { message: 'straight onto main', author: bot });
    const protect = { base: 'main', defaultBranch: 'main', patterns: ['release/*'] };
    await expect(push(access, host, 'main', { protect })).rejects.toMatchObject({ code: 'git_failed', message: expect.stringContaining('the base branch') });
    await git(['checkout', '-q', '-B', 'release/1'], { cwd: host });
    await expect(push(access, host, 'release/1', { protect })).rejects.toMatchObject({ code: 'git_failed', message: expect.stringContaining('protected') });
    expect(await bed.server.readFile(name, 'main', 'README.md')).toBe(before);
    expect(await bed.server.readFile(name, 'release/1', 'README.md')).toBeNull();
  });
});
