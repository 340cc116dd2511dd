import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { GitHubHost } from '../../src/git/github-host.js';
import { pullRequestLaunch } from '../../src/frontends/http/api/pull-request-launch.js';
import { testDocker, silentLog } from '../support/docker.js';
import { ada, engineHarness, thread, type EngineHarness } from '../support/engine.js';
import { FakeGitHub } from '../support/fake-github.js';
import { startFakeOpenAi, type FakeModelServer } from '../support/fake-openai.js';
import { GitServer } from '../support/git-server.js';

const docker = testDocker();
const call = (name: string, args: Record<string, unknown>) => ({ toolCalls: [{ name, arguments: args }] });

let gitServer: GitServer;
let github: FakeGitHub | null = null;
let model: FakeModelServer | null = null;
let harness: EngineHarness | null = null;
beforeAll(async () => {
  gitServer = await GitServer.start();
});
afterAll(async () => {
  await gitServer.close();
});
afterEach(async () => {
  await harness?.close();
  await model?.close();
  github?.assertNoUnexpected();
  await github?.close();
  harness = model = github = null;
});

describe('an agent launched on a pull request (prUrl)', () => {
  it("pushes to the PR's head branch, opens no new PR, and its result links the existing one", async () => {
    github = await FakeGitHub.start({ gitServer });
    const fullName = `acme/pr-${process.pid}`;
    await gitServer.createRepo(fullName, { 'README.md': '# widgets\n' });
    await gitServer.commitFiles(fullName, 'readme-fixes', { 'README.md': '# widgets\n\nSee the docs.\n' }, 'Point at the docs');
    github.addRepo(fullName, { installationId: 31 });
    const existing = github.addPull({ repo: fullName, number: 4, title: 'README fixes', body: 'Small fixes.', user: 'octocat', headRef: 'readme-fixes', headRepo: fullName, baseRef: 'main' });
    const host = new GitHubHost({ appId: github.appId, privateKey: github.privateKey, baseUrl: github.url, log: silentLog, throttle: { id: fullName } });
    model = await startFakeOpenAi([
      {
        label: 'on the PR branch, told about the PR',
        expect: { check: (request) => (request.messages.some((m) => m.text.includes('pull request #4')) ? true : 'the agent was not told about the PR') },
        reply: call('read_file', { path: 'README.md' }),
      },
      { label: 'edit', expect: { lastMessageIncludes: 'See the docs.' }, reply: call('write_file', { path: 'README.md', content: '# widgets\n\nSee the docs at docs/.\n' }) },
      { label: 'finish', reply: call('finish', { summary: 'Pointed the README at docs/' }) },
    ]);
    harness = await engineHarness({ model, docker, gitServer, hosts: [host] });

    const pull = await pullRequestLaunch((repo, n) => host.getPullRequest(repo, n), `https://github.com/${fullName}/pull/4`, 'repos.0.prUrl');
    const { agent: launched } = await harness.core.service.launch({
      principal: ada, workspace: ada.workspace, conversation: thread, prompt: 'make the README point at docs/',
      options: { repo: pull.repo, branch: pull.base }, branch: pull.branch, context: pull.context,
    });
    harness.agentIds.push(launched.id);
    const done = await harness.waitForStatus(launched.id, ['finished', 'failed'], 120_000);
    model.assertDone();
    expect(done.error).toBeNull();
    expect(done.branch).toBe('readme-fixes');
    expect(await gitServer.readFile(fullName, 'readme-fixes', 'README.md')).toBe('# widgets\n\nSee the docs at docs/.\n');
    expect(await gitServer.readFile(fullName, 'main', 'README.md')).toBe('# widgets\n');
    expect((await gitServer.log(fullName, 'readme-fixes')).map((c) => c.subject)).toEqual(expect.arrayContaining(['Point at the docs']));
    expect(github.callsTo('POST', '/repos/:owner/:repo/pulls')).toHaveLength(0);
    expect(github.pulls).toHaveLength(1);
    expect(done.prUrl).toBe(`${github.webUrl}/${fullName}/pull/${existing.number}`);
    const events = await harness.events(launched.id);
    expect(events).toContainEqual(expect.objectContaining({ type: 'milestone', name: 'pr_updated' }));
    expect(events.find((e) => e.type === 'summary')).toMatchObject({ branch: 'readme-fixes', prUrl: done.prUrl });
  }, 180_000);
});
