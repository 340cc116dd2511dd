import { readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pino } from 'pino';
import { loadConfig } from '../../src/config.js';
import { isErrandError } from '../../src/core/errors.js';
import { branchName } from '../../src/core/branch-name.js';
import { checkoutExisting, commitAll, createBranch } from '../../src/git/commit.js';
import { diffstat } from '../../src/git/diffstat.js';
import { basicAuthHeader, gitArgs, gitEnv } from '../../src/git/git.js';
import { PlainRemoteHost } from '../../src/git/plain-remote-host.js';
import { clone, push, remoteBranchExists } from '../../src/git/remote.js';
import { repoHostFor, repoHostsFromConfig } from '../../src/git/repo-hosts.js';
import { git, gitTestBed } from '../support/git-server.js';

const token = 'tok_remote_test_1234567890abcdef';
const bot = { name: 'Errand', email: 'errand-bot@example.com' };

const bed = gitTestBed('errand-git-test-');

/** Every file under a directory, read as text. */
async function allFiles(dir: string): Promise<string> {
  const parts: string[] = [];
  for (const entry of await readdir(dir, { recursive: true })) {
    const path = join(dir, entry);
    if ((await stat(path)).isFile()) parts.push(await readFile(path, 'latin1'));
  }
  return parts.join('\n');
}

async function newRepo(files: Record<string, string> = { 'README.md': '# app\n', 'src/index.ts': 'export const x = 1;\n' }) {
  const name = `acme/app-${Math.random().toString(36).slice(2, 8)}`;
  const url = await bed.server.createRepo(name, files, { tokens: [token] });
  const host = new PlainRemoteHost({ credentials: [{ urlPrefix: bed.server.url, token }] });
  const access = await host.access({ url });
  return { name, url, host, access };
}

describe('host-side git against a token-protected https remote', () => {
  test('a clone sends the configured token, and the remote refuses a clone without one', async () => {
    const { url, access } = await newRepo();
    await expect(clone({ url, token: null }, join(bed.work, 'anon'))).rejects.toMatchObject({ code: 'git_failed' });
    expect(bed.server.requests.some((r) => r.status === 401 && r.auth === null)).toBe(true);

    await clone(access, join(bed.work, 'c'));
    expect(await readFile(join(bed.work, 'c', 'README.md'), 'utf8')).toBe('# app\n');
  });

  test('the agent branch, committed as the bot with a Co-authored-by trailer, arrives on the remote', async () => {
    const { name, access } = await newRepo();
    const dir = join(bed.work, 'c');
    await clone(access, dir);
    const branch = branchName('Fix the flaky login test', 'agt_01jz7k2m9xq4');
    await createBranch(dir, branch);
    await writeFile(join(dir, 'src/index.ts'), 'export const x = 2;\n');
    await writeFile(join(dir, 'NEW.md'), 'new\n');
    const commit = await commitAll(dir, { message: 'Fix the flaky login test', author: bot, coAuthor: { name: 'Ann Lee', email: 'ann@example.com' } });
    expect(commit?.sha).toMatch(/^[0-9a-f]{40}$/);
    await push(access, dir, branch);

    expect(await bed.server.branches(name)).toEqual([branch, 'main'].sort());
    const last = await bed.server.lastCommit(name, branch);
    expect(last.sha).toBe(commit?.sha);
    expect(last.subject).toBe('Fix the flaky login test');
    expect(last.author).toEqual(bot);
    expect(last.committer).toEqual(bot);
    expect(last.trailers).toEqual([{ key: 'Co-authored-by', value: 'Ann Lee <ann@example.com>' }]);
    expect(await bed.server.readFile(name, branch, 'NEW.md')).toBe('new\n');
    expect(await bed.server.readFile(name, 'main', 'NEW.md')).toBeNull();
  });

  test('committing with no changes makes no commit', async () => {
    const { access } = await newRepo();
    const dir = join(bed.work, 'c');
    await clone(access, dir);
    await createBranch(dir, 'errand/nothing-abc123');
    expect(await commitAll(dir, { message: 'nothing', author: bot })).toBeNull();
  });

  test('the token is nowhere in the checkout, its git objects or the remote', async () => {
    const { name, access } = await newRepo();
    const dir = join(bed.work, 'c');
    await clone(access, dir);
    await createBranch(dir, 'errand/tokens-abc123');
    await writeFile(join(dir, 'a.txt'), 'a\n');
    await commitAll(dir, { message: 'a', author: bot });
    await push(access, dir, 'errand/tokens-abc123');

    const encoded = basicAuthHeader({ token }).split(' ').pop()!;
    const config = await readFile(join(dir, '.git', 'config'), 'utf8');
    expect(config).toContain(bed.server.url);
    for (const haystack of [config, await allFiles(dir), await git(['cat-file', '--batch-all-objects', '--batch'], { cwd: dir }), await bed.server.allObjects(name)]) {
      expect(haystack).not.toContain(token);
      expect(haystack).not.toContain(encoded);
    }
  });

  test('a failed push says why without the token in the message', async () => {
    const { name, access } = await newRepo();
    const dir = join(bed.work, 'c');
    await clone(access, dir);
    await createBranch(dir, 'errand/revoked-abc123');
    bed.server.revokeToken(name, token);
    const error = await push(access, dir, 'errand/revoked-abc123').catch((e: unknown) => e);
    expect(isErrandError(error, 'git_failed')).toBe(true);
    const message = (error as Error).message;
    expect(message).toMatch(/git push failed/);
    expect(message).not.toContain(token);
    expect(message).not.toContain(basicAuthHeader({ token }).split(' ').pop()!);
    expect(JSON.stringify(error)).not.toContain(token);
  });

  test('the token travels in the environment of git, not in its command line', () => {
    const env = gitEnv({ token });
    expect(env.GIT_CONFIG_KEY_0).toBe('http.extraHeader');
    expect(env.GIT_CONFIG_VALUE_0).toBe(basicAuthHeader({ token }));
    expect(gitArgs(['push', 'x']).join(' ')).not.toContain(token);
    expect(env.GIT_CONFIG_GLOBAL).toBe('/dev/null');
    expect(env.GIT_CONFIG_NOSYSTEM).toBe('1');
  });

  test('diffstat counts what the agent branch changed since the base', async () => {
    const { access } = await newRepo({ 'a.txt': 'one\ntwo\nthree\n', 'b.txt': 'gone\n' });
    const dir = join(bed.work, 'c');
    await clone(access, dir);
    await createBranch(dir, 'errand/diff-abc123');
    await writeFile(join(dir, 'a.txt'), 'one\n2\nthree\nfour\n');
    await rm(join(dir, 'b.txt'));
    await writeFile(join(dir, 'c.bin'), Buffer.from([0, 1, 2, 0, 255]));
    await commitAll(dir, { message: 'edit', author: bot });
    const stat = await diffstat(dir, 'origin/main');
    expect(stat.files.sort((x, y) => x.path.localeCompare(y.path))).toEqual([
      { path: 'a.txt', additions: 2, deletions: 1 },
      { path: 'b.txt', additions: 0, deletions: 1 },
      { path: 'c.bin', additions: null, deletions: null },
    ]);
    expect(stat).toMatchObject({ additions: 2, deletions: 2 });
  });

  test('a resumed agent continues on its branch as the remote has it, including commits pushed by others', async () => {
    const { name, access } = await newRepo();
    const first = join(bed.work, 'first');
    await clone(access, first);
    await createBranch(first, 'errand/resume-abc123');
    await writeFile(join(first, 'a.txt'), 'a\n');
    await commitAll(first, { message: 'first run', author: bot });
    await push(access, first, 'errand/resume-abc123');
    await bed.server.commitFiles(name, 'errand/resume-abc123', { 'human.txt': 'fixup\n' }, 'A person pushed a fix');

    const second = join(bed.work, 'second');
    await clone(access, second);
    expect(await remoteBranchExists(access, 'errand/resume-abc123')).toBe(true);
    expect(await checkoutExisting(access, second, 'errand/resume-abc123')).toBe(true);
    expect(await readFile(join(second, 'human.txt'), 'utf8')).toBe('fixup\n');
    await writeFile(join(second, 'b.txt'), 'b\n');
    await commitAll(second, { message: 'second run', author: bot });
    await push(access, second, 'errand/resume-abc123');
    expect((await bed.server.log(name, 'errand/resume-abc123')).map((c) => c.subject)).toEqual(['second run', 'A person pushed a fix', 'first run', 'Initial commit']);
  });

  test('a branch missing on the remote is reported, not invented', async () => {
    const { access } = await newRepo();
    const dir = join(bed.work, 'c');
    await clone(access, dir);
    expect(await remoteBranchExists(access, 'errand/none-abc123')).toBe(false);
    expect(await checkoutExisting(access, dir, 'errand/none-abc123')).toBe(false);
  });

  test('a clone can start on a pull request head branch', async () => {
    const { name, access } = await newRepo();
    await bed.server.commitFiles(name, 'feature/login', { 'login.ts': 'x\n' }, 'feature work');
    const dir = join(bed.work, 'c');
    await clone(access, dir, { branch: 'feature/login' });
    expect(await readFile(join(dir, 'login.ts'), 'utf8')).toBe('x\n');
  });
});

describe('plain remotes', () => {
  test('the default branch is read from the remote', async () => {
    const name = `acme/trunk-${Math.random().toString(36).slice(2, 8)}`;
    const url = await bed.server.createRepo(name, { 'a.txt': 'a\n' }, { tokens: [token], defaultBranch: 'trunk' });
    const host = new PlainRemoteHost({ credentials: [{ urlPrefix: bed.server.url, token }] });
    expect(await host.defaultBranch({ url })).toBe('trunk');
    expect(await host.openPullRequest()).toBeNull();
  });

  test('a configured token goes only to the remote it was configured for', async () => {
    const host = new PlainRemoteHost({ credentials: [{ urlPrefix: 'https://git.example.com', token }] });
    expect((await host.access({ url: 'https://git.example.com/team/app.git' })).token).toBe(token);
    expect((await host.access({ url: 'https://git.example.com.evil.test/team/app.git' })).token).toBeNull();
    expect((await host.access({ url: 'https://elsewhere.test/team/app.git' })).token).toBeNull();
    expect(host.handles({ url: 'acme/app', fullName: 'acme/app' })).toBe(false);
    expect(host.handles({ url: '/srv/git/app.git' })).toBe(true);
  });

  test('credentials inside a remote URL and tokens over plain http to another machine are refused', async () => {
    const inUrl = new PlainRemoteHost();
    await expect(inUrl.access({ url: 'https://user:secret@git.example.com/a.git' })).rejects.toMatchObject({ code: 'not_configured' });
    const http = new PlainRemoteHost({ credentials: [{ urlPrefix: 'http://git.example.com', token }] });
    await expect(http.access({ url: 'http://git.example.com/a.git' })).rejects.toMatchObject({ code: 'not_configured' });
  });

  test('a local path works for the quick start, with no token at all', async () => {
    const { name } = await newRepo();
    const host = new PlainRemoteHost();
    const access = await host.access({ url: bed.server.bareDir(name) });
    expect(access.token).toBeNull();
    expect(await host.defaultBranch({ url: bed.server.bareDir(name) })).toBe('main');
    const dir = join(bed.work, 'local');
    await clone(access, dir);
    await createBranch(dir, 'errand/local-abc123');
    await writeFile(join(dir, 'l.txt'), 'l\n');
    await commitAll(dir, { message: 'local', author: bot });
    await push(access, dir, 'errand/local-abc123');
    expect(await bed.server.readFile(name, 'errand/local-abc123', 'l.txt')).toBe('l\n');
  });
});

describe('repo hosts from configuration', () => {
  test('an owner/name repository without a GitHub App is a fix-it error, a URL goes to the plain host', async () => {
    const config = loadConfig({ ERRAND_GIT_TOKEN: token, ERRAND_GIT_TOKEN_URL: bed.server.url });
    const seen: string[] = [];
    const hosts = repoHostsFromConfig(config, { log: pino({ level: 'silent' }), onToken: (t) => seen.push(t) });
    expect(seen).toEqual([token]);
    expect(() => repoHostFor(hosts, { url: 'acme/app', fullName: 'acme/app' })).toThrow(/GITHUB_APP_ID/);
    const { url } = await newRepo();
    expect((await repoHostFor(hosts, { url }).access({ url })).token).toBe(token);
    expect(() => loadConfig({ ERRAND_GIT_TOKEN: token })).toThrow(/ERRAND_GIT_TOKEN_URL/);
  });
});
