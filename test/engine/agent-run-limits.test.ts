import { describe, expect, it } from '@jest/globals';
import { removeByRepo } from '../support/docker.js';
import { ada, engineTestBed, pushToken, type EngineHarness, type EngineHarnessSettings } from '../support/engine.js';
import type { FakeStep } from '../support/fake-openai.js';
import { waitFor } from '../support/wait.js';

const bed = engineTestBed();
const { docker } = bed;

let repoCount = 0;
async function plainRepo(): Promise<{ name: string; url: string }> {
  const name = `test/engine-limits-${process.pid}-${(repoCount += 1)}`;
  const url = await bed.gitServer.createRepo(name, { 'README.md': '# tiny\n', 'app.txt': 'one\ntwo\n' }, { tokens: [pushToken] });
  return { name, url };
}

function start(steps: FakeStep[], settings: EngineHarnessSettings = {}, secrets = false): Promise<EngineHarness> {
  return bed.start(steps, { settings, secrets });
}

const call = (name: string, args: Record<string, unknown> | string) => ({ toolCalls: [{ name, arguments: args }] });

describe('an agent run that does not end by itself', () => {
  it('stops mid-command within seconds when asked, pushes the work so far and keeps the container', async () => {
    const repo = await plainRepo();
    const h = await start([
      { label: 'write', reply: call('write_file', { path: 'partial.txt', content: 'half done\n' }) },
      { label: 'long command', reply: call('run', { command: 'sleep 600' }) },
    ]);
    const id = await h.launch({ text: `repo=${repo.url} do something slow` });
    await waitFor(async () => (await h.events(id)).some((e) => e.type === 'tool_call' && e.name === 'run') || undefined, { what: 'the long command to start' });

    await h.core.service.stop(id, ada);
    const agent = await h.waitForStatus(id, ['stopped', 'finished', 'failed'], 20_000);
    bed.model!.assertDone();

    expect(agent.status).toBe('stopped');
    const commit = await bed.gitServer.lastCommit(repo.name, agent.branch);
    expect(commit.subject).toMatch(/^WIP: /);
    expect(await bed.gitServer.readFile(repo.name, agent.branch, 'partial.txt')).toBe('half done\n');
    expect(agent.summary).toContain(`pushed to \`${agent.branch}\``);
    const handle = await h.deps.sandbox.find(id);
    expect(handle).not.toBeNull();
    const sleeping = await handle!.exec("pgrep -f 'sleep 6[0]0' || echo none");
    expect(sleeping.output).toContain('none');
  });

  it('answers malformed tool calls with errors the model sees, and carries on', async () => {
    const repo = await plainRepo();
    const h = await start([
      {
        label: 'bad calls',
        reply: {
          toolCalls: [
            { name: 'read_file', arguments: '{"path": "app.txt"' },
            { name: 'read_file', arguments: { file: 'app.txt' } },
            { name: 'delete_everything', arguments: {} },
            { name: 'edit_file', arguments: { path: '../etc/passwd', old_string: 'root', new_string: 'toor' } },
          ],
        },
      },
      {
        label: 'sees errors',
        expect: {
          check: (request) => {
            const results = request.messages.filter((m) => m.role === 'tool').map((m) => m.text);
            if (results.length !== 4) return `expected 4 tool results, got ${results.length}`;
            const [json, fields, unknown, outside] = results as [string, string, string, string];
            if (!json.startsWith('Error: ') || !json.includes('not valid JSON')) return `invalid JSON answer: ${json}`;
            if (!fields.includes('invalid arguments for read_file') || !fields.includes('path')) return `wrong fields answer: ${fields}`;
            if (!unknown.includes('no tool named "delete_everything"') || !unknown.includes('read_file')) return `unknown tool answer: ${unknown}`;
            if (!outside.includes('outside /workspace')) return `outside path answer: ${outside}`;
            return true;
          },
        },
        reply: call('finish', { summary: 'Nothing to change' }),
      },
    ]);
    const id = await h.launch({ text: `repo=${repo.url} try some tools` });
    const agent = await h.waitForStatus(id, ['finished', 'failed']);
    bed.model!.assertDone();
    expect(agent.status).toBe('finished');
    const results = (await h.events(id)).filter((e) => e.type === 'tool_result');
    expect(results.map((e) => e.type === 'tool_result' && e.ok)).toEqual([false, false, false, false, true]);
    // Nothing changed, so nothing was pushed.
    expect(await bed.gitServer.branches(repo.name)).toEqual(['main']);
  });

  it('fails with limit_reached when the agent runs out of steps, pushing its work in progress', async () => {
    const repo = await plainRepo();
    const h = await start(
      [
        { label: 'step 1', reply: call('write_file', { path: 'step1.txt', content: '1\n' }) },
        { label: 'step 2', reply: call('run', { command: 'echo still going' }) },
      ],
      { limits: { maxSteps: 2, maxMs: 120_000, maxTokens: null } },
    );
    const id = await h.launch({ text: `repo=${repo.url} never finish` });
    const agent = await h.waitForStatus(id, ['finished', 'failed']);
    bed.model!.assertDone();
    expect(agent.status).toBe('failed');
    expect(agent.error).toEqual({ code: 'limit_reached', message: expect.stringContaining('limit of 2 model calls') });
    expect(await bed.gitServer.readFile(repo.name, agent.branch, 'step1.txt')).toBe('1\n');
    const events = await h.events(id);
    expect(events.some((e) => e.type === 'error' && e.code === 'limit_reached')).toBe(true);
  });

  it('fails with limit_reached when a run takes longer than its time limit', async () => {
    const repo = await plainRepo();
    const h = await start([{ label: 'slow', reply: call('run', { command: 'sleep 600' }) }], { limits: { maxSteps: 10, maxMs: 1500, maxTokens: null } });
    const id = await h.launch({ text: `repo=${repo.url} take forever` });
    const agent = await h.waitForStatus(id, ['finished', 'failed']);
    bed.model!.assertDone();
    expect(agent.error?.code).toBe('limit_reached');
    expect(agent.error?.message).toContain('time limit');
  });
});

describe('workspace secrets in a run', () => {
  it('gives install and the agent their secrets and redacts them from events, summary and commit', async () => {
    const name = `test/engine-secrets-${process.pid}`;
    const url = await bed.gitServer.createRepo(name, {
      'README.md': '# secrets\n',
      '.errand/environment.json': JSON.stringify({ install: 'echo "install has $INSTALL_TOKEN and [$DEPLOY_KEY]"' }),
    }, { tokens: [pushToken] });
    const deployKey = 'deploy-key-value-4242-secret';
    const installToken = 'install-token-value-7373-secret';
    try {
      const h = await start(
        [
          { label: 'use', reply: call('run', { command: 'echo "deploying with $DEPLOY_KEY"; printf "x-access-token:%s" "$DEPLOY_KEY" | base64 -w0; echo; printf "ci:%s" "$DEPLOY_KEY" | base64 -w0' }) },
          {
            label: 'write',
            expect: { lastMessageIncludes: `deploying with ${deployKey}` },
            reply: call('write_file', { path: 'notes.txt', content: 'deployed\n' }),
          },
          { label: 'finish', reply: call('finish', { summary: `Deploy with ${deployKey}\n\nThe key ${deployKey} worked.` }) },
        ],
        {},
        true,
      );
      await h.deps.secrets!.set({ workspace: 'T1' }, 'DEPLOY_KEY', deployKey);
      await h.deps.secrets!.set({ workspace: 'T1', repo: url }, 'INSTALL_TOKEN', installToken, { availableToInstall: true });
      const id = await h.launch({ text: `repo=${url} deploy it` });
      const agent = await h.waitForStatus(id, ['finished', 'failed']);
      bed.model!.assertDone();
      expect(agent.status).toBe('finished');

      const events = await h.events(id);
      const install = events.filter((e) => e.type === 'log' && e.phase === 'install').map((e) => (e.type === 'log' ? e.text : '')).join('');
      expect(install).toContain('install has [redacted] and []');
      const text = JSON.stringify(events);
      expect(text).toContain('deploying with [redacted]');
      expect(text).not.toContain(deployKey);
      expect(text).not.toContain(installToken);
      // The transcript kept for resume (Redis, AOF) holds no secret, in clear or in base64 as a Basic header carries it.
      const history = JSON.stringify(await h.core.stores.history.load(id));
      expect(history).toContain('deploying with [redacted]');
      for (const form of [deployKey, Buffer.from(`x-access-token:${deployKey}`).toString('base64'), Buffer.from(`ci:${deployKey}`).toString('base64').slice(4, 24)]) {
        expect(history).not.toContain(form);
        expect(text).not.toContain(form);
      }
      expect(agent.summary).toBe('Deploy with [redacted]\n\nThe key [redacted] worked.');
      const commit = await bed.gitServer.lastCommit(name, agent.branch);
      expect(commit.message).toContain('Deploy with [redacted]');
      expect(commit.message).not.toContain(deployKey);
    } finally {
      await removeByRepo(docker, name);
    }
  });
});

describe('privacy mode', () => {
  it('keeps no transcript, conversation or diffstat once the run is over', async () => {
    const repo = await plainRepo();
    const h = await start([
      { label: 'read', reply: call('read_file', { path: 'app.txt' }) },
      { label: 'write', reply: call('write_file', { path: 'app.txt', content: 'one\ntwo\nthree\n' }) },
      { label: 'finish', reply: call('finish', { summary: 'Added a line.' }) },
    ]);
    try {
      const id = await h.launch({ text: `repo=${repo.url} privacy=true add a line` });
      const agent = await h.waitForStatus(id, ['finished', 'failed']);
      bed.model!.assertDone();
      expect(agent.status).toBe('finished');
      const events = await h.events(id);
      expect(events.filter((e) => ['model_message', 'tool_call', 'tool_result', 'log'].includes(e.type))).toEqual([]);
      expect(events.find((e) => e.type === 'summary')).toMatchObject({ text: 'Added a line.', diffstat: null });
      expect(await h.deps.history.load(id)).toBeNull();
      // The work itself is delivered as usual.
      expect(await bed.gitServer.readFile(repo.name, agent.branch, 'app.txt')).toBe('one\ntwo\nthree\n');
    } finally {
      await removeByRepo(docker, repo.name);
    }
  });
});
