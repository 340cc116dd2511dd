import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { GitHubHost } from '../../src/git/github-host.js';
import { FakeGitHub } from '../support/fake-github.js';
import { apiHarness, silent, type ApiHarness } from './harness.js';

const repo = 'acme/web';
/** As people paste them: GitHub's web URL (the fake's own pages are http://127.0.0.1). */
const prUrl = (_github: FakeGitHub, n: number, name = repo) => `https://github.com/${name}/pull/${n}`;

describe('launching on an existing pull request (prUrl)', () => {
  let h: ApiHarness;
  let github: FakeGitHub;
  beforeAll(async () => {
    github = await FakeGitHub.start();
    github.addRepo(repo, { installationId: 21 });
    github.addPull({ repo, number: 5, title: 'Update the README', body: 'Small fixes.', user: 'octocat', headRef: 'readme-fixes', headRepo: repo, baseRef: 'develop-next' });
    github.addPull({ repo, number: 6, title: 'Typo', body: 'From a fork.', user: 'someone', headRef: 'patch-1', headRepo: 'someone/web', baseRef: 'main' });
    github.addPull({ repo, number: 7, title: 'Old', body: '', user: 'octocat', headRef: 'old-work', headRepo: repo, baseRef: 'main' }).state = 'closed';
    const host = new GitHubHost({ appId: github.appId, privateKey: github.privateKey, baseUrl: github.url, log: silent, throttle: { id: 'pr-url' } });
    h = await apiHarness({ pullRequests: (r, n) => host.getPullRequest(r, n) });
  });
  afterAll(async () => {
    await h?.close();
    await github?.close();
  });

  it("v1 repos[].prUrl: the agent works on the PR's head branch against its base, told not to open another PR", async () => {
    const reply = await h.call('POST', '/v1/agents', { body: { prompt: { text: 'add a test for the README links' }, repos: [{ prUrl: prUrl(github, 5) }] } });
    expect(reply.status).toBe(201);
    const agent = reply.json['agent'] as { id: string; branchName: string; repos: { url: string; startingRef: string | null }[] };
    expect(agent.branchName).toBe('readme-fixes');
    expect(agent.repos).toEqual([{ url: repo, startingRef: 'develop-next' }]);
    const stored = await h.agents.require(agent.id);
    expect(stored).toMatchObject({ branch: 'readme-fixes', baseBranch: 'develop-next', autoPr: true });
    expect(stored.context).toContain(`pull request #5 (${github.webUrl}/${repo}/pull/5) on its own branch \`readme-fixes\``);
    expect(stored.context).toContain('Do not open another pull request.');
  });

  it('v0 source.prUrl does the same, and the repository given with it must be the PR\'s', async () => {
    const reply = await h.call('POST', '/v0/agents', { body: { prompt: { text: 'fix the lint errors' }, source: { repository: repo, prUrl: prUrl(github, 5) } } });
    expect(reply.status).toBe(201);
    expect(reply.json).toMatchObject({ source: { repository: repo, ref: 'develop-next' }, target: { branchName: 'readme-fixes' } });

    const other = await h.call('POST', '/v0/agents', { body: { prompt: { text: 'x' }, source: { repository: 'acme/api', prUrl: prUrl(github, 5) } } });
    expect(other.status).toBe(400);
    expect(other.json.error).toEqual({ code: 'invalid_request', field: 'source.prUrl', message: "source.prUrl: the pull request is in acme/web, not in acme/api; leave the repository out or give the PR's" });
  });

  it("refuses a fork's PR, a closed PR, a missing PR, a URL that is not a PR and a second repository, each with a clear message", async () => {
    const launch = (repos: unknown[], extra: Record<string, unknown> = {}) => h.call('POST', '/v1/agents', { body: { prompt: { text: 'x' }, repos, ...extra } });
    const fork = await launch([{ prUrl: prUrl(github, 6) }]);
    expect(fork.status).toBe(400);
    expect(fork.json.error?.message).toBe("repos.0.prUrl: pull request #6 comes from a fork, which Errand cannot push to; launch on acme/web (its own branch) and ask for the PR's changes in the prompt");
    expect((await launch([{ prUrl: prUrl(github, 7) }])).json.error?.message).toBe('repos.0.prUrl: pull request #7 is closed; reopen it or launch without prUrl');
    const missing = await launch([{ prUrl: prUrl(github, 99) }]);
    expect(missing.status).toBe(404);
    expect(missing.json.error?.message).toBe('repos.0.prUrl: acme/web has no pull request #99 that the GitHub App can read');
    expect((await launch([{ prUrl: 'https://github.com/acme/web/issues/5' }])).json.error?.field).toBe('repos.0.prUrl');
    const two = await launch([{ prUrl: prUrl(github, 5) }, { url: 'acme/api' }]);
    expect(two.status).toBe(400);
    expect(two.json.error?.field).toBe('repos.0.prUrl');
    const otherBranch = await launch([{ prUrl: prUrl(github, 5) }], { branchName: 'mine' });
    expect(otherBranch.json.error?.field).toBe('branchName');
    const neither = await launch([{ startingRef: 'main' }]);
    expect(neither.status).toBe(400);
    expect(neither.json.error?.field).toBe('repos.0.url');
    expect((await h.agents.list({ limit: 50 })).agents.filter((a) => a.prompt === 'x')).toHaveLength(0);
  });
});

describe('prUrl without a GitHub App', () => {
  it('is refused saying what to configure', async () => {
    const h = await apiHarness();
    try {
      const reply = await h.call('POST', '/v1/agents', { body: { prompt: { text: 'x' }, repos: [{ prUrl: 'https://github.com/acme/web/pull/5' }] } });
      expect(reply.status).toBe(400);
      expect(reply.json['code']).toBe('not_configured');
      expect(reply.json.error?.message).toContain('needs the GitHub App (GITHUB_APP_ID, GITHUB_PRIVATE_KEY)');
    } finally {
      await h.close();
    }
  });
});
