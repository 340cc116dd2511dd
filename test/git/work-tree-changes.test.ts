import { existsSync, lstatSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from '@jest/globals';
import { pack } from 'tar-fs';
import { importWorkTree } from '../../src/git/work-tree.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function tree(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'errand-worktree-'));
  dirs.push(dir);
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), content);
  }
  return dir;
}

/** The container's /workspace as Docker's archive API returns it: everything under `workspace/`. */
function workspaceTar(dir: string): Readable {
  return pack(dir, { map: (header) => ({ ...header, name: header.name === '.' ? 'workspace' : `workspace/${header.name}` }) }) as unknown as Readable;
}

describe('importing only what the agent changed', () => {
  it('writes changed and new files, removes deleted ones, and leaves everything else as the host has it', async () => {
    const outside = await tree({ 'target.txt': 'outside\n' });
    const host = await tree({ 'a.txt': 'a\n', 'keep.txt': 'host\n', 'gone.txt': 'bye\n' });
    await symlink(join(outside, 'target.txt'), join(host, 'link'));
    const container = await tree({ 'a.txt': 'a edited\n', 'keep.txt': 'rewritten by install\n', 'link': 'agent wrote a file here\n', 'new/dir/n.txt': 'new\n', 'target/.installed': 'built\n' });

    await importWorkTree(host, workspaceTar(container), { only: { changed: ['a.txt', 'link', 'new/dir/n.txt'], deleted: ['gone.txt'] } });

    expect(await readFile(join(host, 'a.txt'), 'utf8')).toBe('a edited\n');
    expect(await readFile(join(host, 'keep.txt'), 'utf8')).toBe('host\n');
    expect(lstatSync(join(host, 'link')).isFile()).toBe(true);
    expect(await readFile(join(host, 'link'), 'utf8')).toBe('agent wrote a file here\n');
    expect(await readFile(join(outside, 'target.txt'), 'utf8')).toBe('outside\n');
    expect(await readFile(join(host, 'new/dir/n.txt'), 'utf8')).toBe('new\n');
    expect(existsSync(join(host, 'gone.txt'))).toBe(false);
    expect(existsSync(join(host, 'target'))).toBe(false);
  });

  it.each([['../escape'], ['/etc/passwd'], ['.git/config']])('refuses a change list naming %s', async (path) => {
    const host = await tree({ 'a.txt': 'a\n' });
    const container = await tree({ 'a.txt': 'a\n' });
    await expect(importWorkTree(host, workspaceTar(container), { only: { changed: [], deleted: [path] } })).rejects.toMatchObject({ code: 'sandbox_failed' });
    expect(await readFile(join(host, 'a.txt'), 'utf8')).toBe('a\n');
  });

  it('never writes through a directory symlink the checkout holds', async () => {
    const outside = await tree({});
    const host = await tree({});
    await symlink(outside, join(host, 'docs'));
    const container = await tree({ 'docs/x.txt': 'x\n' });
    await expect(importWorkTree(host, workspaceTar(container), { only: { changed: ['docs/x.txt'], deleted: [] } })).rejects.toMatchObject({ code: 'sandbox_failed' });
    expect(existsSync(join(outside, 'x.txt'))).toBe(false);
  });

  it('replaces a symlinked directory the agent turned into a real one, leaving its old target alone', async () => {
    const outside = await tree({ 'old.txt': 'old\n' });
    const host = await tree({});
    await symlink(outside, join(host, 'docs'));
    const container = await tree({ 'docs/x.txt': 'x\n' });
    await importWorkTree(host, workspaceTar(container), { only: { changed: ['docs/x.txt'], deleted: ['docs'] } });
    expect(lstatSync(join(host, 'docs')).isDirectory()).toBe(true);
    expect(await readFile(join(host, 'docs/x.txt'), 'utf8')).toBe('x\n');
    expect(await readFile(join(outside, 'old.txt'), 'utf8')).toBe('old\n');
    expect(existsSync(join(outside, 'x.txt'))).toBe(false);
  });
});
