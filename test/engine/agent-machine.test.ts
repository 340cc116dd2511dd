import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { pushToken, engineTestBed, eventText } from '../support/engine.js';
import type { FakeStep } from '../support/fake-openai.js';
import { git } from '../support/git-server.js';
import { waitFor } from '../support/wait.js';

const bed = engineTestBed();
const call = (name: string, args: Record<string, unknown>) => ({ toolCalls: [{ name, arguments: args }] });
const run = (command: string) => call('run', { command });

async function running(agentId: string): Promise<boolean> {
  const [info] = await bed.docker.listContainers({ all: true, filters: { label: [`errand.agent=${agentId}`] } });
  if (!info) throw new Error(`agent ${agentId} has no container`);
  return info.State === 'running';
}

/** Adds a submodule (a gitlink plus .gitmodules) pointing at `subName` to the default branch of `name`. */
async function addSubmodule(name: string, subName: string, url: string): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), 'errand-submodule-'));
  try {
    const sha = (await git(['rev-parse', 'refs/heads/main'], { cwd: bed.gitServer.bareDir(subName) })).trim();
    await git(['clone', '-q', bed.gitServer.bareDir(name), work]);
    await git(['config', '--file', '.gitmodules', 'submodule.lib.path', 'lib'], { cwd: work });
    await git(['config', '--file', '.gitmodules', 'submodule.lib.url', url], { cwd: work });
    await git(['update-index', '--add', '--cacheinfo', `160000,${sha},lib`], { cwd: work });
    await git(['add', '.gitmodules'], { cwd: work });
    await git(['commit', '-q', '-m', 'add lib as a submodule'], { cwd: work });
    await git(['push', '-q', 'origin', 'HEAD:refs/heads/main'], { cwd: work });
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

describe("an agent's machine", () => {
  it('has its dependencies and submodules, commits only what the agent changed, and is stopped between runs', async () => {
    const id = `${process.pid}`;
    const main = `test/machine-${id}`;
    await bed.gitServer.createRepo(`test/dep-${id}`, { 'lib.txt': 'shared library\n' }, { tokens: [pushToken] });
    await bed.gitServer.createRepo(`test/sub-${id}`, { 'sub.txt': 'sub file\n' }, { tokens: [pushToken] });
    const url = await bed.gitServer.createRepo(main, {
      '.errand/environment.json': JSON.stringify({
        install: 'mkdir -p target && echo built > target/.installed && echo generated > gen.txt',
        repositoryDependencies: [bed.gitServer.repoUrl(`test/dep-${id}`), bed.gitServer.repoUrl(`test/missing-${id}`)],
      }),
    }, { tokens: [pushToken] });
    await addSubmodule(main, `test/sub-${id}`, `../sub-${id}.git`);

    const steps: FakeStep[] = [
      {
        label: 'told where the dependencies are',
        expect: { check: (request) => request.messages.some((m) => m.role === 'system' && m.text.includes(`/workspace-deps/dep-${id}`)) || 'the system prompt does not name /workspace-deps' },
        reply: run(`cat /workspace-deps/dep-${id}/lib.txt lib/sub.txt && echo edited >> gen.txt && echo agent > agent.txt`),
      },
      { label: 'saw them', expect: { lastMessageIncludes: 'shared library\nsub file' }, reply: call('finish', { summary: 'Add agent.txt' }) },
      { label: 'follow-up', reply: run('cat agent.txt; test -f target/.installed && echo install-output-kept') },
      { label: 'files intact', expect: { lastMessageIncludes: 'agent\ninstall-output-kept' }, reply: call('finish', { summary: 'Check the files' }) },
    ];
    const h = await bed.start(steps);
    const agentId = await h.launch({ text: `repo=${url} add a file` });
    const first = await h.waitForStatus(agentId, ['finished', 'failed'], 120_000);
    expect(first.status).toBe('finished');

    expect(await bed.gitServer.readFile(main, first.branch, 'agent.txt')).toBe('agent\n');
    expect(await bed.gitServer.readFile(main, first.branch, 'gen.txt')).toBe('generated\nedited\n');
    expect(await bed.gitServer.readFile(main, first.branch, 'target/.installed')).toBeNull();
    expect(await git(['ls-tree', `refs/heads/${first.branch}`, 'lib'], { cwd: bed.gitServer.bareDir(main) })).toMatch(/^160000 commit /);
    const events = eventText(await h.events(agentId));
    expect(events).toContain(`warning: repository dependency ${bed.gitServer.repoUrl(`test/missing-${id}`)} was not cloned`);
    expect(events).toContain('submodule lib initialised from');
    expect(await running(agentId)).toBe(false);

    await h.core.service.followUp(agentId, (await h.agent(agentId)).owner, 'check the files are still there', (await h.agent(agentId)).conversations[0]!);
    await waitFor(async () => (await h.events(agentId)).filter((e) => e.type === 'status' && e.status === 'finished').length === 2, { timeoutMs: 120_000, what: 'the follow-up run to finish' });
    bed.model!.assertDone();
    expect(await running(agentId)).toBe(false);
    expect(eventText(await h.events(agentId))).toContain('resumed in the same container');
  });
});
