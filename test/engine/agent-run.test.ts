import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import type { Principal } from '../../src/core/index.js';
import { GitHubHost } from '../../src/git/github-host.js';
import { testDocker, silentLog } from '../support/docker.js';
import { ada, engineHarness, eventText, modelKey, pushToken, thread, type EngineHarness } from '../support/engine.js';
import { FakeGitHub } from '../support/fake-github.js';
import { Gate, startFakeOpenAi, type FakeModelServer, type FakeStep } from '../support/fake-openai.js';
import { GitServer } from '../support/git-server.js';
import { waitFor } from '../support/wait.js';

const docker = testDocker();
const files = {
  'README.md': '# widgets\n\nRun `sh test.sh` to check the greeting.\n',
  'greet.sh': 'echo "hello wrld"\n',
  'test.sh': '[ "$(sh greet.sh)" = "hello world" ] && echo PASS || { echo FAIL; exit 1; }\n',
};

let gitServer: GitServer;
let harness: EngineHarness | null = null;
let model: FakeModelServer | null = null;
let github: FakeGitHub | null = null;

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
  harness = null;
  model = null;
  github = null;
});

let repoCount = 0;
async function plainRepo(): Promise<{ name: string; url: string }> {
  const name = `test/engine-${process.pid}-${(repoCount += 1)}`;
  const url = await gitServer.createRepo(name, files, { tokens: [pushToken] });
  return { name, url };
}

async function start(steps: FakeStep[], settings: Parameters<typeof engineHarness>[0]['settings'] = {}): Promise<EngineHarness> {
  model = await startFakeOpenAi(steps);
  harness = await engineHarness({ model, docker, gitServer, settings });
  return harness;
}

const call = (name: string, args: Record<string, unknown> | string) => ({ toolCalls: [{ name, arguments: args }] });
const finish = (summary: string): FakeStep => ({ label: 'finish', reply: call('finish', { summary }) });

describe('an agent run', () => {
  it('edits, tests in the container, pushes a co-authored commit and opens a draft PR that fixes the issue', async () => {
    github = await FakeGitHub.start({ gitServer });
    const fullName = `acme/widgets-${process.pid}`;
    await gitServer.createRepo(fullName, files);
    github.addRepo(fullName, { installationId: 77 });
    const host = new GitHubHost({ appId: github.appId, privateKey: github.privateKey, baseUrl: github.url, log: silentLog, throttle: { id: fullName } });
    const marker = join(gitServer.root, 'hook-ran-on-host');
    model = await startFakeOpenAi([
      {
        label: 'look',
        expect: {
          tools: ['list_files', 'read_file', 'write_file', 'edit_file', 'search', 'run', 'terminal_output', 'finish'],
          check: (request) => {
            const system = request.messages[0]?.text ?? '';
            if (!system.includes('Run `sh test.sh` to check the greeting.')) return 'the system prompt lacks the README';
            if (!request.messages[1]?.text.includes('fix the greeting')) return 'the first user message lacks the task';
            return true;
          },
        },
        reply: { text: 'Let me look at the script.', ...call('read_file', { path: 'greet.sh' }) },
      },
      { label: 'edit', expect: { lastMessageIncludes: '1\techo "hello wrld"' }, reply: call('edit_file', { path: 'greet.sh', old_string: 'wrld', new_string: 'world' }) },
      { label: 'test', expect: { lastMessageIncludes: 'edited greet.sh' }, reply: call('run', { command: 'sh test.sh' }) },
      {
        label: 'plant hooks',
        expect: { lastMessageIncludes: 'PASS' },
        reply: call('run', {
          command: `for h in pre-commit commit-msg post-commit pre-push; do printf '#!/bin/sh\\ntouch ${marker}\\n' > .git/hooks/$h; chmod +x .git/hooks/$h; done; git config core.hooksPath .git/hooks`,
        }),
      },
      finish('Fix the greeting typo\n\nChanged "wrld" to "world"; `sh test.sh` passes.'),
    ]);
    harness = await engineHarness({ model, docker, gitServer, hosts: [host] });
    const octocat: Principal = { kind: 'github', workspace: '77', id: 'octocat', name: 'Octo Cat', email: 'octocat@users.noreply.github.com' };
    const id = await harness.launch({
      text: 'fix the greeting so that the test passes',
      principal: octocat,
      conversation: { kind: 'github', installationId: 77, repo: fullName, number: 12, isPullRequest: false },
      impliedRepo: fullName,
    });

    const agent = await harness.waitForStatus(id, ['finished', 'failed']);
    model.assertDone();
    expect(agent.error).toBeNull();
    expect(agent.status).toBe('finished');

    const commit = await gitServer.lastCommit(fullName, agent.branch);
    expect(commit.subject).toBe('Fix the greeting typo');
    expect(commit.author).toEqual({ name: 'Errand', email: 'errand@users.noreply.github.com' });
    expect(commit.trailers).toContainEqual({ key: 'Co-authored-by', value: 'Octo Cat <octocat@users.noreply.github.com>' });
    expect(await gitServer.readFile(fullName, agent.branch, 'greet.sh')).toBe('echo "hello world"\n');

    const [pull] = github.callsTo('POST', '/repos/:owner/:repo/pulls');
    expect(pull?.body).toMatchObject({ head: agent.branch, base: 'main', draft: true, title: agent.title });
    expect(String(pull?.body.body)).toContain('Requested by Octo Cat in #12');
    expect(String(pull?.body.body)).toContain('Fixes #12');
    expect(String(pull?.body.body)).toContain(`https://errand.example.com/agents/${id}`);
    expect(agent.prNumber).toBe(1);
    expect(agent.conversations).toContainEqual({ kind: 'github', installationId: 77, repo: fullName, number: 1, isPullRequest: true });

    const events = await harness.events(id);
    const summary = events.find((e) => e.type === 'summary');
    expect(summary).toMatchObject({ type: 'summary', branch: agent.branch, prUrl: agent.prUrl });
    expect(summary?.type === 'summary' && summary.diffstat).toContain('1 file changed, +1 −1');
    expect(summary?.type === 'summary' && summary.diffstat).toContain('greet.sh');
    expect(events.map((e) => e.type)).toEqual(expect.arrayContaining(['model_message', 'tool_call', 'tool_result', 'milestone']));
    expect(agent.usage.inputTokens).toBeGreaterThan(0);

    // The planted hooks never ran on the host.
    expect(existsSync(marker)).toBe(false);

    // Neither the push token nor the model key is in the container or in any event.
    const tokens = [...github.tokens.keys(), modelKey];
    expect(tokens.length).toBeGreaterThan(1);
    const handle = await harness.deps.sandbox.find(id);
    expect(handle).not.toBeNull();
    const env = await handle!.exec('env', { user: 'root' });
    const found = await handle!.exec(`grep -rlF -e ${tokens.map((t) => `'${t}'`).join(' -e ')} / --exclude-dir=proc --exclude-dir=sys --exclude-dir=dev 2>/dev/null; echo "grep exit $?"`, {
      user: 'root',
      timeoutMs: 60_000,
    });
    const allEvents = eventText(events);
    for (const token of tokens) {
      expect(env.output).not.toContain(token);
      expect(allEvents).not.toContain(token);
    }
    // Exit 1: nothing matched (2 would also mean a file vanished mid-scan; no file name may be printed).
    expect(found.output.trim()).toMatch(/^grep exit [12]$/);
  });

  it('reads a follow-up sent while the model is thinking before its next call', async () => {
    const repo = await plainRepo();
    const thinking = new Gate();
    const h = await start([
      { label: 'held', holdUntil: thinking, reply: call('run', { command: 'echo working' }) },
      {
        label: 'sees follow-up',
        expect: { check: (request) => request.messages.some((m) => m.role === 'user' && m.text === 'Follow-up from Ada Lovelace:\nalso add a CHANGELOG') },
        reply: call('write_file', { path: 'CHANGELOG.md', content: '# Changes\n' }),
      },
      finish('Add a changelog'),
    ]);
    const id = await h.launch({ text: `repo=${repo.url} tidy up` });
    await thinking.reached;
    const { resumed } = await h.core.service.followUp(id, ada, 'also add a CHANGELOG', thread);
    expect(resumed).toBe(false);
    thinking.release();

    const agent = await h.waitForStatus(id, ['finished', 'failed']);
    model!.assertDone();
    expect(agent.status).toBe('finished');
    expect(await gitServer.readFile(repo.name, agent.branch, 'CHANGELOG.md')).toBe('# Changes\n');
  });

  it('resumes a finished agent on the same branch with its earlier conversation when someone follows up', async () => {
    const repo = await plainRepo();
    const h = await start([
      { label: 'first edit', reply: call('write_file', { path: 'a.txt', content: 'a\n' }) },
      finish('Add a.txt'),
      {
        label: 'resumed with history',
        expect: {
          check: (request) => {
            const earlier = request.messages.some((m) => m.toolCalls?.some((c) => c.name === 'write_file' && JSON.stringify(c.arguments).includes('a.txt')));
            if (!earlier) return 'the earlier write_file call is missing';
            if (!request.messages.some((m) => m.role === 'tool' && m.text === 'Add a.txt')) return 'the earlier finish is missing';
            return request.lastMessage?.text === 'Follow-up from Ada Lovelace:\nnow add b.txt' || `last message: ${request.lastMessage?.text}`;
          },
        },
        reply: call('write_file', { path: 'b.txt', content: 'b\n' }),
      },
      finish('Add b.txt'),
    ]);
    const id = await h.launch({ text: `repo=${repo.url} add files` });
    const first = await h.waitForStatus(id, ['finished', 'failed']);
    expect(first.status).toBe('finished');

    const { resumed } = await h.core.service.followUp(id, ada, 'now add b.txt', thread);
    expect(resumed).toBe(true);
    const second = await waitFor(async () => {
      const events = await h.events(id);
      return events.filter((e) => e.type === 'status' && e.status === 'finished').length === 2 ? h.agent(id) : undefined;
    }, { timeoutMs: 60_000, what: 'the second run to finish' });
    model!.assertDone();

    expect(second.branch).toBe(first.branch);
    const log = await gitServer.log(repo.name, second.branch);
    expect(log.map((c) => c.subject)).toEqual(['Add b.txt', 'Add a.txt', 'Initial commit']);
    expect(await gitServer.readFile(repo.name, second.branch, 'a.txt')).toBe('a\n');
    const events = await h.events(id);
    expect(events.some((e) => e.type === 'milestone' && e.name === 'resumed')).toBe(true);
  });

  it('answers in ask mode without offering edits and pushes nothing', async () => {
    const repo = await plainRepo();
    const h = await start([
      { label: 'read-only tools', expect: { tools: ['list_files', 'read_file', 'search', 'run', 'terminal_output', 'finish'] }, reply: call('run', { command: 'sh greet.sh | tee out.txt' }) },
      { label: 'answer', expect: { lastMessageIncludes: 'hello wrld' }, reply: { text: 'It prints "hello wrld".' } },
    ]);
    const id = await h.launch({ text: `repo=${repo.url} mode=ask what does greet.sh print?` });
    const agent = await h.waitForStatus(id, ['finished', 'failed']);
    model!.assertDone();
    expect(agent.status).toBe('finished');
    expect(agent.summary).toBe('It prints "hello wrld".');
    expect(agent.prUrl).toBeNull();
    expect(await gitServer.branches(repo.name)).toEqual(['main']);
  });
});
