import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Principal } from '../../src/core/index.js';
import { GitHubHost } from '../../src/git/github-host.js';
import { silentLog, testDocker, testSandbox } from '../support/docker.js';
import { engineHarness, modelKey } from '../support/engine.js';
import { FakeGitHub } from '../support/fake-github.js';
import { startFakeOpenAi, type FakeStep } from '../support/fake-openai.js';
import { GitServer } from '../support/git-server.js';
import { uniqueInstance } from '../support/redis.js';

const docker = testDocker();
const install = uniqueInstance('pool-engine');
let gitServer: GitServer;

beforeAll(async () => {
  gitServer = await GitServer.start();
});
afterAll(async () => {
  await gitServer.close();
  for (const info of await docker.listContainers({ all: true, filters: { label: [`errand.install=${install}`] } })) {
    await docker.getContainer(info.Id).remove({ force: true, v: true }).catch(() => undefined);
  }
});

const call = (name: string, args: Record<string, unknown>) => ({ toolCalls: [{ name, arguments: args }] });
const fix = (word: string): FakeStep[] => [
  { label: `edit ${word}`, reply: call('write_file', { path: `${word}.txt`, content: `${word}\n` }) },
  { label: `check ${word}`, expect: { lastMessageIncludes: `${word}.txt` }, reply: call('run', { command: `cat ${word}.txt && env` }) },
  { label: `finish ${word}`, reply: call('finish', { summary: `Add ${word}.txt\n\nWrote it.` }) },
];

describe('a launch that claims a pool machine', () => {
  it('runs the agent as before: checkout, secrets kept out, push and a draft PR', async () => {
    const github = await FakeGitHub.start({ gitServer });
    const fullName = `acme/pooled-${process.pid}`;
    await gitServer.createRepo(fullName, { 'README.md': '# pooled\n', '.errand/environment.json': JSON.stringify({ terminals: [{ name: 'dev', command: 'echo dev up' }] }) });
    github.addRepo(fullName, { installationId: 78 });
    const host = new GitHubHost({ appId: github.appId, privateKey: github.privateKey, baseUrl: github.url, log: silentLog, throttle: { id: fullName } });
    const model = await startFakeOpenAi([...fix('first'), ...fix('second')]);
    const sandbox = testSandbox(docker, { install, poolSize: 1 });
    const harness = await engineHarness({ model, docker, gitServer, hosts: [host], sandbox });
    try {
      const octocat: Principal = { kind: 'github', workspace: '78', id: 'octocat', name: 'Octo Cat', email: 'octocat@users.noreply.github.com' };
      const launch = (n: number) => harness.launch({ text: `add a file (${n})`, principal: octocat, conversation: { kind: 'github', installationId: 78, repo: fullName, number: n, isPullRequest: false }, impliedRepo: fullName });

      const first = await launch(1);
      expect((await harness.waitForStatus(first, ['finished', 'failed'])).status).toBe('finished');
      await sandbox.machinePool.settled();
      const pooled = (await docker.listContainers({ filters: { label: ['errand.pool', `errand.install=${install}`, 'errand.workspace=78'] } })).filter((c) => c.Names[0]!.startsWith('/errand-pool-'));
      expect(pooled).toHaveLength(1);

      const second = await launch(2);
      const agent = await harness.waitForStatus(second, ['finished', 'failed']);
      model.assertDone();
      expect(agent.error).toBeNull();
      expect(agent.status).toBe('finished');
      // The second agent's machine is the pool machine, renamed to it.
      expect((await docker.getContainer(`errand-${second}`).inspect()).Id).toBe(pooled[0]!.Id);
      expect(await gitServer.readFile(fullName, agent.branch, 'second.txt')).toBe('second\n');
      const pulls = github.callsTo('POST', '/repos/:owner/:repo/pulls');
      expect(pulls.map((p) => p.body.head)).toContain(agent.branch);
      // No push token or model key in the claimed machine's environment.
      const env = model.requests.map((r) => r.messages.map((m) => m.text).join('\n')).join('\n');
      for (const token of [...github.tokens.keys(), modelKey]) expect(env).not.toContain(token);
      github.assertNoUnexpected();
    } finally {
      sandbox.close();
      await sandbox.machinePool.settled();
      await harness.close();
      await model.close();
      await github.close();
    }
  });
});
