import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import type { Clock } from '../../src/core/ports/runtime.js';
import { parseRepoRef } from '../../src/core/repo-ref.js';
import { commitAll, createBranch } from '../../src/git/commit.js';
import { GitHubHost, type GitHubHostOptions } from '../../src/git/github-host.js';
import { clone, push } from '../../src/git/remote.js';
import { FakeGitHub } from '../support/fake-github.js';
import { GitServer } from '../support/git-server.js';

const bot = { name: 'errand[bot]', email: '4242+errand[bot]@users.noreply.github.com' };
const log = pino({ level: 'silent' });

let gitServer: GitServer;
let work: string;
let fakes: FakeGitHub[] = [];

beforeAll(async () => {
  gitServer = await GitServer.start();
});
afterAll(async () => {
  await gitServer.close();
});
beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), 'errand-github-test-'));
});
afterEach(async () => {
  for (const fake of fakes) {
    fake.assertNoUnexpected();
    await fake.close();
  }
  fakes = [];
  await rm(work, { recursive: true, force: true });
});

async function setUp(options: { prefix?: string; host?: Partial<GitHubHostOptions> } = {}) {
  const fake = await FakeGitHub.start({ gitServer, ...(options.prefix ? { prefix: options.prefix } : {}) });
  fakes.push(fake);
  const fullName = `acme/widgets-${Math.random().toString(36).slice(2, 8)}`;
  // The remote accepts no token yet: only tokens the fake GitHub mints will open it.
  await gitServer.createRepo(fullName, { 'README.md': '# widgets\n' });
  fake.addRepo(fullName, { installationId: 77 });
  const host = new GitHubHost({
    appId: fake.appId,
    privateKey: fake.privateKey,
    baseUrl: fake.url,
    log,
    throttle: { id: fullName, retryAfterBaseValue: 5 },
    octokit: { retry: { retryAfterBaseValue: 5 } },
    ...options.host,
  });
  return { fake, host, fullName, repo: parseRepoRef(fullName) };
}

async function pushAgentBranch(host: GitHubHost, repo: ReturnType<typeof parseRepoRef>, branch: string) {
  const access = await host.access(repo);
  const dir = join(work, branch.replace(/\W/g, '-'));
  await clone(access, dir);
  await createBranch(dir, branch);
  await writeFile(join(dir, 'fix.ts'), 'export const fixed = true;\n');
  await commitAll(dir, { message: 'Fix the widget', author: bot, coAuthor: { name: 'Ann', email: 'ann@example.com' } });
  await push(access, dir, branch);
}

describe('GitHub as the repo host', () => {
  test('an installation token scoped to the repository is minted and is what clones and pushes', async () => {
    const { fake, host, fullName, repo } = await setUp();
    const access = await host.access(repo);
    expect(access.token).toMatch(/^ghs_/);
    expect(access.username).toBe('x-access-token');
    expect(access.url).toBe(gitServer.repoUrl(fullName));
    expect(Date.parse(access.expiresAt!)).toBeGreaterThan(Date.now());
    const [mint] = fake.callsTo('POST', '/app/installations/:id/access_tokens');
    expect(mint).toMatchObject({ path: '/app/installations/77/access_tokens', auth: 'app', body: { repositories: [fullName.split('/')[1]] } });

    await pushAgentBranch(host, repo, 'errand/fix-widget-abc123');
    expect(await gitServer.branches(fullName)).toContain('errand/fix-widget-abc123');
    const gitRequests = gitServer.requests.filter((r) => r.repo === fullName);
    expect(gitRequests.every((r) => r.auth === 'basic' && r.status === 200)).toBe(true);
    expect(fake.callsTo('POST', '/app/installations/:id/access_tokens')).toHaveLength(1);
  });

  test('a draft pull request is opened with the head, base, title and body', async () => {
    const { fake, host, fullName, repo } = await setUp();
    await pushAgentBranch(host, repo, 'errand/fix-widget-abc123');
    expect(await host.defaultBranch(repo)).toBe('main');
    const pr = await host.openPullRequest({ repo, head: 'errand/fix-widget-abc123', base: 'main', title: 'Fix the widget', body: 'Started from Slack.', draft: true });
    expect(pr).toEqual({ number: 1, url: `${fake.webUrl}/${fullName}/pull/1`, installationId: 77 });
    expect(fake.pulls).toEqual([
      expect.objectContaining({ head: 'errand/fix-widget-abc123', base: 'main', title: 'Fix the widget', body: 'Started from Slack.', draft: true, state: 'open' }),
    ]);
  });

  test('asking again returns the open pull request instead of opening a duplicate', async () => {
    const { fake, host, repo } = await setUp();
    await pushAgentBranch(host, repo, 'errand/again-abc123');
    const input = { repo, head: 'errand/again-abc123', base: 'main', title: 'Again', body: 'b', draft: true };
    const first = await host.openPullRequest(input);
    const second = await host.openPullRequest({ ...input, title: 'Again, resumed' });
    expect(second).toEqual(first);
    expect(fake.callsTo('POST', '/repos/:owner/:repo/pulls')).toHaveLength(1);
    expect(fake.pulls).toHaveLength(1);
  });

  test('a resumed agent finds its pull request by branch, and a mention finds one by number', async () => {
    const { host, repo } = await setUp();
    expect(await host.findPullRequest(repo, 'errand/resume-abc123')).toBeNull();
    await pushAgentBranch(host, repo, 'errand/resume-abc123');
    const pr = await host.openPullRequest({ repo, head: 'errand/resume-abc123', base: 'main', title: 'Resume', body: '', draft: true });
    const found = await host.findPullRequest(repo, 'errand/resume-abc123');
    expect(found).toMatchObject({ number: pr!.number, url: pr!.url, head: 'errand/resume-abc123', base: 'main', state: 'open', draft: true, sameRepo: true, merged: false });
    expect(await host.getPullRequest(repo, pr!.number)).toEqual(found);
    expect(await host.getPullRequest(repo, 999)).toBeNull();
  });

  test('a GitHub Enterprise Server base URL is used for every API call', async () => {
    const { fake, host, repo } = await setUp({ prefix: '/api/v3' });
    await pushAgentBranch(host, repo, 'errand/ghes-abc123');
    await host.openPullRequest({ repo, head: 'errand/ghes-abc123', base: 'main', title: 'GHES', body: '', draft: true });
    expect(fake.calls.length).toBeGreaterThan(0);
    expect(fake.calls.every((c) => c.path.startsWith('/api/v3/'))).toBe(true);
    expect(fake.pulls).toHaveLength(1);
  });

  test('a 502 from GitHub is retried and the pull request still opens', async () => {
    const { fake, host, repo } = await setUp();
    await pushAgentBranch(host, repo, 'errand/flaky-abc123');
    fake.failNext('POST', '/repos/:owner/:repo/pulls', 502);
    const pr = await host.openPullRequest({ repo, head: 'errand/flaky-abc123', base: 'main', title: 'Flaky', body: '', draft: true });
    expect(pr?.number).toBe(1);
    expect(fake.callsTo('POST', '/repos/:owner/:repo/pulls').map((c) => c.status)).toEqual([502, 201]);
  });

  test('a secondary rate limit waits and retries instead of failing', async () => {
    const { fake, host, repo } = await setUp();
    await host.access(repo);
    fake.failNext('GET', '/repos/:owner/:repo/pulls', 403, {
      headers: { 'retry-after': '1' },
      body: { message: 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.' },
    });
    expect(await host.findPullRequest(repo, 'errand/none-abc123')).toBeNull();
    expect(fake.callsTo('GET', '/repos/:owner/:repo/pulls').map((c) => c.status)).toEqual([403, 200]);
  });

  test('a long run gets a fresh installation token before the old one expires', async () => {
    let now = Date.now();
    const clock: Clock = { now: () => new Date(now) };
    const { fake, host, repo } = await setUp({ host: { clock, refreshMarginMs: 5 * 60_000 } });
    const first = await host.access(repo);
    now += 30 * 60_000;
    expect((await host.access(repo)).token).toBe(first.token);
    now += 26 * 60_000;
    const refreshed = await host.access(repo);
    expect(refreshed.token).not.toBe(first.token);
    expect(fake.callsTo('POST', '/app/installations/:id/access_tokens')).toHaveLength(2);
  });

  test('a repository the app is not installed on fails with a fix-it message', async () => {
    const { host } = await setUp();
    const error = await host.access(parseRepoRef('acme/elsewhere')).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'forbidden' });
    expect((error as Error).message).toMatch(/not installed on acme\/elsewhere/);
  });

  test('minted tokens are handed to the scrubber', async () => {
    const seen: string[] = [];
    const { host, repo } = await setUp({ host: { onToken: (t) => seen.push(t) } });
    const access = await host.access(repo);
    expect(seen).toEqual([access.token]);
  });
});

describe('the fake GitHub', () => {
  test('a request to an endpoint it does not know fails the test', async () => {
    const { fake } = await setUp();
    const response = await fetch(`${fake.url}/repos/acme/widgets/releases`, { method: 'POST', body: '{}' });
    expect(response.status).toBe(404);
    expect(() => fake.assertNoUnexpected()).toThrow(/POST \/repos\/acme\/widgets\/releases/);
    fake.unexpected.length = 0;
  });
});
