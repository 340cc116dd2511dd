import { describe, expect, it } from '@jest/globals';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { commitAll } from '../../src/git/commit.js';
import { push } from '../../src/git/remote.js';
import { checkKeptCheckout } from '../../src/engine/kept-checkout.js';
import { prepareCheckout, revParse } from '../../src/engine/host-checkout.js';
import { git, gitTestBed } from '../support/git-server.js';

const bed = gitTestBed('errand-kept-');
const token = 'kept-token-0123456789';
const bot = { name: 'Errand', email: 'errand@example.com' };
let repos = 0;

/** A host checkout as a run that pushed leaves it when its machine stays warm. */
async function keptCheckout(branch = 'errand/kept', base = 'main'): Promise<{ name: string; dir: string; access: { url: string; token: string }; branch: string }> {
  const name = `test/kept-${process.pid}-${repos++}`;
  const url = await bed.server.createRepo(name, { 'README.md': '# kept\n' }, { tokens: [token], defaultBranch: base });
  const access = { url, token };
  const dir = join(bed.work, name.replace('/', '-'));
  await prepareCheckout(access, dir, base, branch);
  await writeFile(join(dir, 'work.txt'), 'done\n');
  await commitAll(dir, { message: 'Work', author: bot, coAuthor: null });
  await push(access, dir, branch);
  return { name, dir, access, branch };
}

describe('a checkout kept from the last run (its machine still warm)', () => {
  it('is reused as it is when nothing moved, and the same ls-remote names the default branch', async () => {
    const { dir, access, branch } = await keptCheckout();
    const check = await checkKeptCheckout(access, dir, 'main', branch);
    expect(check.checkout).toEqual({ existingBranch: true, submodules: [] });
    expect(check.defaultBranch).toBe('main');
  });

  it('names the remote\'s default branch whatever it is called', async () => {
    const { dir, access, branch } = await keptCheckout('errand/trunk-work', 'trunk');
    const check = await checkKeptCheckout(access, dir, 'trunk', branch);
    expect(check.defaultBranch).toBe('trunk');
    expect(check.checkout?.existingBranch).toBe(true);
  });

  it('is not reused when someone pushed to the agent\'s branch since: the run clones it again', async () => {
    const { name, dir, access, branch } = await keptCheckout();
    await bed.server.commitFiles(name, branch, { 'theirs.txt': 'pushed by someone else\n' }, 'Someone else');
    const check = await checkKeptCheckout(access, dir, 'main', branch);
    expect(check.checkout).toBeNull();
    expect(check.defaultBranch).toBe('main');
  });

  it('is reused with the moved base fetched, so the diff is against the base as it is now', async () => {
    const { name, dir, access, branch } = await keptCheckout();
    const moved = await bed.server.commitFiles(name, 'main', { 'base.txt': 'the base moved\n' }, 'Base moved');
    const check = await checkKeptCheckout(access, dir, 'main', branch);
    expect(check.checkout?.existingBranch).toBe(true);
    expect(await revParse(dir, 'refs/remotes/origin/main')).toBe(moved);
  });

  it('is not reused when the agent\'s branch vanished from the remote, or another branch is checked out', async () => {
    const { name, dir, access, branch } = await keptCheckout();
    expect((await checkKeptCheckout(access, dir, 'main', 'errand/other')).checkout).toBeNull();
    await git(['branch', '-D', branch], { cwd: bed.server.bareDir(name) });
    expect((await checkKeptCheckout(access, dir, 'main', branch)).checkout).toBeNull();
  });

  it('is not reused when there is none', async () => {
    const { access, branch } = await keptCheckout();
    const check = await checkKeptCheckout(access, join(bed.work, 'nothing-here'), 'main', branch);
    expect(check.checkout).toBeNull();
  });
});
