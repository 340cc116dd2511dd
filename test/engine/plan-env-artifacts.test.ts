import { describe, expect, it } from '@jest/globals';
import { ada, engineTestBed, eventText, pushToken, thread } from '../support/engine.js';
import type { FakeStep } from '../support/fake-openai.js';
import { waitFor } from '../support/wait.js';

const bed = engineTestBed();
const files = {
  'README.md': '# widgets\n',
  'greet.sh': 'echo "hello wrld"\n',
};
const readOnly = ['list_files', 'read_file', 'search', 'run', 'terminal_output', 'finish'];
const allTools = ['list_files', 'read_file', 'write_file', 'edit_file', 'search', 'run', 'terminal_output', 'finish'];
const sessionToken = 'session-token-5f1e2d3c4b5a69788796a5b4';

const call = (name: string, args: Record<string, unknown>) => ({ toolCalls: [{ name, arguments: args }] });

let repoCount = 0;
async function plainRepo(): Promise<{ name: string; url: string }> {
  const name = `test/plan-${process.pid}-${(repoCount += 1)}`;
  return { name, url: await bed.gitServer.createRepo(name, files, { tokens: [pushToken] }) };
}

describe('plan mode, envVars and artifacts in a real container', () => {
  it('plans without edits or a push, keeps the artifacts, then carries the plan out in agent mode', async () => {
    const repo = await plainRepo();
    const steps: FakeStep[] = [
      {
        label: 'plan: read-only tools, told about plan mode and artifacts',
        expect: {
          tools: readOnly,
          check: (request) => {
            const system = request.messages[0]?.text ?? '';
            if (!system.includes('This is plan mode')) return 'the system prompt does not describe plan mode';
            return system.includes('/workspace/artifacts/') || 'the system prompt does not mention the artifacts folder';
          },
        },
        reply: call('run', {
          command: `[ "$SESSION_TOKEN" = "${sessionToken}" ] && echo ENV-OK; echo "leaked $SESSION_TOKEN"; printf 'broken\\n' > greet.sh; touch stray.txt; mkdir -p artifacts; printf '# Plan\\n' > artifacts/plan.md`,
        }),
      },
      { label: 'plan: finish', expect: { lastMessageIncludes: 'ENV-OK' }, reply: call('finish', { summary: 'Plan: fix the typo\n\n1. In greet.sh change wrld to world.' }) },
      {
        label: 'agent: all tools, told to carry out the plan, plan changes undone',
        expect: {
          tools: allTools,
          check: (request) => (request.lastMessage?.text ?? '').includes('Mode is now agent') || `last message: ${request.lastMessage?.text}`,
        },
        reply: call('run', { command: 'cat greet.sh; ls' }),
      },
      {
        label: 'agent: edit',
        expect: { check: (request) => (!request.lastMessage?.text.includes('stray.txt') && request.lastMessage?.text.includes('hello wrld')) || `the plan run's changes are still there: ${request.lastMessage?.text}` },
        reply: call('edit_file', { path: 'greet.sh', old_string: 'wrld', new_string: 'world' }),
      },
      { label: 'agent: finish', reply: call('finish', { summary: 'Fix the greeting typo\n\nAs planned.' }) },
    ];
    const h = await bed.start(steps, { secrets: true });
    const id = await h.launch({ text: `repo=${repo.url} mode=plan plan the greeting fix`, envVars: { SESSION_TOKEN: sessionToken } });

    const planned = await h.waitForStatus(id, ['finished', 'failed']);
    expect(planned.error).toBeNull();
    expect(planned.status).toBe('finished');
    expect(planned.mode).toBe('plan');
    expect(planned.summary).toContain('Plan: fix the typo');
    expect(planned.summary).toContain('Artifacts: plan.md');
    expect(planned.prUrl).toBeNull();
    expect(await bed.gitServer.branches(repo.name)).toEqual(['main']);
    expect(bed.gitServer.pushes(repo.name)).toBe(0);
    const artifacts = await h.core.stores.artifacts.list(id);
    expect(artifacts.map((a) => a.name)).toEqual(['plan.md']);
    expect((await h.core.stores.artifacts.read(id, 'plan.md'))?.content.toString()).toBe('# Plan\n');

    const { resumed } = await h.core.service.followUp(id, ada, 'mode=agent go ahead', thread);
    expect(resumed).toBe(true);
    const done = await waitFor(async () => {
      const events = await h.events(id);
      return events.filter((e) => e.type === 'status' && e.status === 'finished').length === 2 ? h.agent(id) : undefined;
    }, { timeoutMs: 90_000, what: 'the agent run to finish' });
    bed.model!.assertDone();
    expect(done.mode).toBe('agent');
    expect(await bed.gitServer.readFile(repo.name, done.branch, 'greet.sh')).toBe('echo "hello world"\n');
    expect(await bed.gitServer.readFile(repo.name, done.branch, 'stray.txt')).toBeNull();
    expect(await bed.gitServer.readFile(repo.name, done.branch, 'artifacts/plan.md')).toBeNull();

    const text = eventText(await h.events(id));
    expect(text).toContain('leaked [redacted]');
    expect(text).not.toContain(sessionToken);
    expect(JSON.stringify(done)).not.toContain(sessionToken);
  }, 180_000);

  it('refuses envVars named like Errand\'s own before anything is stored', async () => {
    const repo = await plainRepo();
    const h = await bed.start([], { secrets: true });
    await expect(h.launch({ text: `repo=${repo.url} do it`, envVars: { ERRAND_MASTER_KEY: 'x' } })).rejects.toMatchObject({ code: 'invalid_request' });
    expect((await h.core.stores.agents.list({ limit: 5 })).agents).toHaveLength(0);
  });
});
