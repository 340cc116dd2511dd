import { describe, expect, it } from '@jest/globals';
import { defaultSettings } from '../../src/core/index.js';
import { checkoutDir } from '../../src/engine/host-checkout.js';
import { WarmRuns } from '../../src/engine/warm-runs.js';
import { testSandbox } from '../support/docker.js';
import { engineTestBed, eventText, pushToken } from '../support/engine.js';
import { proxyBed, startDestinations } from '../support/egress.js';
import { waitFor } from '../support/wait.js';
import { existsSync } from 'node:fs';

const bed = engineTestBed();
const call = (name: string, args: Record<string, unknown>) => ({ toolCalls: [{ name, arguments: args }] });
const run = (command: string) => call('run', { command });

async function machines(agentId: string): Promise<{ agent: { id: string; running: boolean }; sidecarStartedAt: string }> {
  const containers = await bed.docker.listContainers({ all: true, filters: { label: [`errand.agent=${agentId}`] } });
  const agent = containers.find((c) => c.Labels['errand.role'] !== 'egress');
  const sidecar = containers.find((c) => c.Labels['errand.role'] === 'egress');
  if (!agent || !sidecar) throw new Error(`agent ${agentId} has no machine and sidecar`);
  return { agent: { id: agent.Id, running: agent.State === 'running' }, sidecarStartedAt: (await bed.docker.getContainer(sidecar.Id).inspect()).State.StartedAt };
}

describe('a follow-up while the machine is still warm', () => {
  it('runs in the same running machine, sidecar and host checkout: nothing restarted, start not rerun, the work pushed', async () => {
    const destinations = await startDestinations();
    const proxy = proxyBed(destinations);
    const sandbox = testSandbox(bed.docker, { idleGraceMs: 600_000, maxWarm: 5, egressImage: 'errand-base:bookworm' });
    const ok = `http://registry.test:${destinations.httpPort}/ok`;
    try {
      const url = await bed.gitServer.createRepo(`test/warm-resume-${process.pid}`, {
        '.errand/environment.json': JSON.stringify({ start: 'echo start ran >> /workspace/.starts', terminals: [{ name: 'dev', command: 'sleep 100000' }] }),
        '.gitignore': '.starts\n',
      }, { tokens: [pushToken] });
      const h = await bed.start(
        [
          { label: 'work', reply: run('echo one > one.txt; pgrep -x sleep > /tmp/terminal-pid') },
          { label: 'finish', reply: call('finish', { summary: 'Add one.txt' }) },
          { label: 'follow-up', reply: run(`cat .starts; test "$(pgrep -x sleep)" = "$(cat /tmp/terminal-pid)" && echo same-terminal; git status --short; curl -sS --max-time 10 ${ok}; echo two > two.txt`) },
          { label: 'finish again', expect: { lastMessageIncludes: `start ran\nsame-terminal\nhello from registry.test:${destinations.httpPort} /ok` }, reply: call('finish', { summary: 'Add two.txt' }) },
        ],
        { egress: proxy.registry, sandbox },
      );
      h.deps.warmRuns = new WarmRuns({ dataDir: h.dataDir, egress: proxy.registry, log: { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined, child() { return this; } } });
      sandbox.onIdleStopped((agentId) => h.deps.warmRuns?.stopped(agentId));
      await h.core.stores.settings.set('T1', { ...defaultSettings(), networkAgent: 'allowlist', networkAllowlist: ['registry.test'] });
      const id = await h.launch({ text: `repo=${url} add files` });
      const first = await h.waitForStatus(id, ['finished', 'failed'], 120_000);
      expect(first.status).toBe('finished');
      const before = await machines(id);
      expect(before.agent.running).toBe(true);
      // Kept for the follow-up: the host checkout and the egress socket directory.
      expect(existsSync(`${checkoutDir(h.dataDir, id)}/.git`)).toBe(true);
      expect(existsSync(proxy.registry.socketDir(id))).toBe(true);

      await h.core.service.followUp(id, first.owner, 'add another file', first.conversations[0]!);
      await waitFor(async () => (await h.events(id)).filter((e) => e.type === 'status' && e.status === 'finished').length === 2, { timeoutMs: 120_000, what: 'the follow-up run to finish' });
      bed.model!.assertDone();
      const after = await machines(id);
      expect(after.agent.id).toBe(before.agent.id);
      expect(after.sidecarStartedAt).toBe(before.sidecarStartedAt);
      const events = eventText(await h.events(id));
      expect(events).toContain('resumed in the same container, still running');
      expect(events).not.toContain('running start again');
      expect(events).toContain('reused the checkout of the last run: nothing to clone');
      expect(await bed.gitServer.readFile(`test/warm-resume-${process.pid}`, first.branch, 'one.txt')).toBe('one\n');
      expect(await bed.gitServer.readFile(`test/warm-resume-${process.pid}`, first.branch, 'two.txt')).toBe('two\n');
    } finally {
      sandbox.close();
      await proxy.close();
      await destinations.close();
    }
  });

  it('notices a branch someone pushed to during the grace: the checkout is made anew and the tools see it from the first command', async () => {
    const sandbox = testSandbox(bed.docker, { idleGraceMs: 600_000, maxWarm: 5 });
    const name = `test/warm-moved-${process.pid}`;
    try {
      const url = await bed.gitServer.createRepo(name, { 'README.md': '# moved\n' }, { tokens: [pushToken] });
      const h = await bed.start(
        [
          { label: 'work', reply: run('echo one > one.txt') },
          { label: 'finish', reply: call('finish', { summary: 'Add one.txt' }) },
          { label: 'follow-up', reply: run('git log --format=%s -1; git show HEAD:theirs.txt; echo two > two.txt') },
          { label: 'finish again', expect: { lastMessageIncludes: 'Someone else\npushed by someone else' }, reply: call('finish', { summary: 'Add two.txt' }) },
        ],
        { sandbox },
      );
      h.deps.warmRuns = new WarmRuns({ dataDir: h.dataDir, log: { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined, child() { return this; } } });
      const id = await h.launch({ text: `repo=${url} add files` });
      const first = await h.waitForStatus(id, ['finished', 'failed'], 120_000);
      expect(first.status).toBe('finished');
      await bed.gitServer.commitFiles(name, first.branch, { 'theirs.txt': 'pushed by someone else\n' }, 'Someone else');

      await h.core.service.followUp(id, first.owner, 'add another file', first.conversations[0]!);
      await waitFor(async () => (await h.events(id)).filter((e) => e.type === 'status' && e.status === 'finished').length === 2, { timeoutMs: 120_000, what: 'the follow-up run to finish' });
      bed.model!.assertDone();
      const events = eventText(await h.events(id));
      expect(events).toContain('resumed in the same container, still running');
      expect(events).not.toContain('reused the checkout of the last run');
      for (const [path, content] of [['one.txt', 'one\n'], ['theirs.txt', 'pushed by someone else\n'], ['two.txt', 'two\n']]) {
        expect(await bed.gitServer.readFile(name, first.branch, path!)).toBe(content);
      }
    } finally {
      sandbox.close();
    }
  });

  it('fails the follow-up when the remote cannot be checked, before any command reaches the machine', async () => {
    const sandbox = testSandbox(bed.docker, { idleGraceMs: 600_000, maxWarm: 5 });
    const name = `test/warm-unreachable-${process.pid}`;
    try {
      const url = await bed.gitServer.createRepo(name, { 'README.md': '# unreachable\n' }, { tokens: [pushToken] });
      const h = await bed.start(
        [
          { label: 'work', reply: run('echo one > one.txt') },
          { label: 'finish', reply: call('finish', { summary: 'Add one.txt' }) },
          // Asked while the remote is checked, or not at all if the check fails first.
          { label: 'follow-up', reply: run('touch never-ran.txt') },
        ],
        { sandbox },
      );
      h.deps.warmRuns = new WarmRuns({ dataDir: h.dataDir, log: { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined, child() { return this; } } });
      const id = await h.launch({ text: `repo=${url} add files` });
      const first = await h.waitForStatus(id, ['finished', 'failed'], 120_000);
      expect(first.status).toBe('finished');
      const toolResults = async () => (await h.events(id)).filter((e) => e.type === 'tool_result').length;
      const before = await toolResults();
      bed.gitServer.revokeToken(name, pushToken);

      await h.core.service.followUp(id, first.owner, 'add another file', first.conversations[0]!);
      const failed = await h.waitForStatus(id, ['failed'], 120_000);
      expect(failed.error?.code).toBeDefined();
      expect(await toolResults()).toBe(before);
      const machine = (await bed.docker.listContainers({ filters: { label: [`errand.agent=${id}`] } })).find((c) => c.Labels['errand.role'] !== 'egress');
      const probe = await bed.docker.getContainer(machine!.Id).exec({ Cmd: ['test', '-e', '/workspace/never-ran.txt'] });
      await probe.start({});
      const exitCode = await waitFor(async () => (await probe.inspect()).ExitCode ?? undefined, { what: 'the probe to end' });
      expect(exitCode).toBe(1);
    } finally {
      sandbox.close();
    }
  });
});
