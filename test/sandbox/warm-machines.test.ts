import type { SandboxHandle } from '../../src/core/ports/sandbox.js';
import { recordingSpec, sandboxTestBed, testSandbox } from '../support/docker.js';
import { waitFor } from '../support/wait.js';

const { docker, repo, gitRepo } = sandboxTestBed('warm');
// Its own instance label: adoptIdle looks only at this file's machines.
const install = `warm-${process.pid}-${Date.now()}`;
const environment = {
  '.errand/environment.json': JSON.stringify({
    start: 'echo "start ran [${AGENT_TOKEN:-}]" >> /workspace/.starts',
    terminals: [{ name: 'dev', command: 'echo "dev is up"; sleep 100000' }],
  }),
  '.gitignore': '.starts\n',
};

async function run(command: string, handle: SandboxHandle): Promise<string> {
  const result = await handle.exec(command);
  expect(result.exitCode).toBe(0);
  return result.output.trim();
}

async function running(containerId: string): Promise<boolean> {
  return (await docker.getContainer(containerId).inspect()).State.Running;
}

/** The pid of the dev terminal's `sleep`: the same pid later means the process lived on. */
async function terminalPid(handle: SandboxHandle): Promise<string> {
  return waitFor(async () => (await handle.exec('pgrep -x sleep')).output.trim() || undefined, { what: 'the terminal process' });
}

describe('machines kept warm after a run', () => {
  it('hands a follow-up within the grace the same running machine: files, terminals and processes, start not rerun', async () => {
    const sandbox = testSandbox(docker, { install, idleGraceMs: 600_000, maxWarm: 5 });
    const spec = recordingSpec(gitRepo(environment).dir, repo, { agentEnv: { AGENT_TOKEN: 'one' } });
    const handle = await sandbox.prepare(spec);
    await run('echo work in progress > notes.txt', handle);
    const pid = await terminalPid(handle);

    expect(await sandbox.park(spec.agentId)).toBe('warm');
    expect(await running(handle.containerId)).toBe(true);

    const logs: string[] = [];
    const found = await sandbox.find(spec.agentId, { env: { AGENT_TOKEN: 'two' }, onLog: (_phase, _stream, text) => logs.push(text), facts: true });
    expect(found?.containerId).toBe(handle.containerId);
    expect(found?.warm).toBe(true);
    expect(await run('cat notes.txt .starts', found!)).toBe('work in progress\nstart ran [one]');
    expect(await terminalPid(found!)).toBe(pid);
    expect(found!.preparedFacts?.terminals).toEqual(['dev']);
    expect(logs.join('')).not.toContain('running start again');
    sandbox.close();
  });

  it('stops the machine when the grace ends, and a later follow-up starts it again with start rerun', async () => {
    const sandbox = testSandbox(docker, { install, idleGraceMs: 1500, maxWarm: 5 });
    const stopped: string[] = [];
    sandbox.onIdleStopped((agentId) => stopped.push(agentId));
    const spec = recordingSpec(gitRepo(environment).dir, repo, { agentEnv: { AGENT_TOKEN: 'one' } });
    const handle = await sandbox.prepare(spec);
    expect(await sandbox.park(spec.agentId)).toBe('warm');
    await waitFor(async () => !(await running(handle.containerId)), { timeoutMs: 30_000, what: 'the idle machine to stop' });
    await waitFor(() => stopped.includes(spec.agentId), { what: 'the idle-stop listener' });

    const found = await sandbox.find(spec.agentId, { env: { AGENT_TOKEN: 'two' } });
    expect(found?.containerId).toBe(handle.containerId);
    expect(found?.warm).toBe(false);
    expect(await run('cat .starts', found!)).toBe('start ran [one]\nstart ran [two]');
  });

  it('keeps at most maxWarm machines running: the one idle longest is stopped first', async () => {
    const sandbox = testSandbox(docker, { install, idleGraceMs: 600_000, maxWarm: 1 });
    const first = recordingSpec(gitRepo(environment).dir, repo);
    const second = recordingSpec(gitRepo(environment).dir, repo);
    const [a, b] = await Promise.all([sandbox.prepare(first), sandbox.prepare(second)]);
    expect(await sandbox.park(first.agentId)).toBe('warm');
    expect(await sandbox.park(second.agentId)).toBe('warm');
    await waitFor(async () => !(await running(a.containerId)), { timeoutMs: 30_000, what: 'the older idle machine to stop' });
    expect(await running(b.containerId)).toBe(true);
    sandbox.close();
  });

  it('stops at once when the grace is 0 (the sandbox default)', async () => {
    const sandbox = testSandbox(docker, { install });
    const spec = recordingSpec(gitRepo(environment).dir, repo);
    const handle = await sandbox.prepare(spec);
    expect(await sandbox.park(spec.agentId)).toBe('stopped');
    expect(await running(handle.containerId)).toBe(false);
  });

  it('after a worker restart, stops machines past their grace, times the rest, and leaves running agents alone', async () => {
    const before = testSandbox(docker, { install, idleGraceMs: 600_000, maxWarm: 5 });
    const [old, recent, active] = [recordingSpec(gitRepo(environment).dir, repo), recordingSpec(gitRepo(environment).dir, repo), recordingSpec(gitRepo(environment).dir, repo)];
    const [oldMachine, recentMachine, activeMachine] = await Promise.all([before.prepare(old), before.prepare(recent), before.prepare(active)]);
    await before.park(old.agentId);
    await before.park(recent.agentId);
    before.close(); // the worker stops: its timers go with it, the machines keep running

    const now = Date.now();
    const settled = new Map([[old.agentId, now - 3_600_000], [recent.agentId, now - 600_000 + 2000]]);
    const after = testSandbox(docker, { install, idleGraceMs: 600_000, maxWarm: 5 });
    const stopped: string[] = [];
    after.onIdleStopped((agentId) => stopped.push(agentId));
    await after.adoptIdle(async (agentId) => settled.get(agentId) ?? null);
    expect(await running(oldMachine.containerId)).toBe(false);
    expect(stopped).toEqual([old.agentId]);
    expect(await running(recentMachine.containerId)).toBe(true);
    await waitFor(async () => !(await running(recentMachine.containerId)), { timeoutMs: 30_000, what: 'the adopted machine to stop at the end of its grace' });
    expect(await running(activeMachine.containerId)).toBe(true);
    after.close();
  });
});

describe('an idle machine someone is in', () => {
  it('is not stopped while a command (errand attach, the web terminal) runs in it, and is stopped after', async () => {
    const seen: string[] = [];
    const log = { debug: () => undefined, info: (_fields: object, message: string) => void seen.push(message), warn: () => undefined, error: () => undefined, child: () => log };
    const sandbox = testSandbox(docker, { install, idleGraceMs: 1000, maxWarm: 5, log });
    const spec = recordingSpec(gitRepo(environment).dir, repo);
    const handle = await sandbox.prepare(spec);
    // What `docker exec -it … tmux attach` looks like to the engine: a command running in the machine.
    const attached = handle.exec('while [ ! -e /tmp/detach ]; do sleep 0.1; done', { timeoutMs: 120_000 });
    expect(await sandbox.park(spec.agentId)).toBe('warm');
    await waitFor(() => seen.includes('an idle machine is in use: kept for another grace'), { timeoutMs: 30_000, what: 'the grace to end while attached' });
    expect(await running(handle.containerId)).toBe(true);
    await run('touch /tmp/detach', handle);
    expect((await attached).exitCode).toBe(0);
    await waitFor(async () => !(await running(handle.containerId)), { timeoutMs: 30_000, what: 'the machine to stop once nobody is in it' });
  });
});

describe('a follow-up that arrives while the grace timer stops the machine', () => {
  it('waits for the stop, then gets the same machine started again with start rerun and its terminals reopened', async () => {
    let stopAsked = (): void => undefined;
    const asked = new Promise<void>((resolve) => (stopAsked = resolve));
    let letStop = (): void => undefined;
    const stopGate = new Promise<void>((resolve) => (letStop = resolve));
    // The engine as it is, but each container stop waits until the test lets it go on.
    const slowStops = new Proxy(docker, {
      get(target, property, receiver) {
        const value: unknown = Reflect.get(target, property, receiver);
        if (property !== 'getContainer') return typeof value === 'function' ? value.bind(target) : value;
        return (id: string) => {
          const container = target.getContainer(id);
          return Object.assign(Object.create(container) as typeof container, {
            stop: async (options?: object) => {
              stopAsked();
              await stopGate;
              return container.stop(options ?? {});
            },
          });
        };
      },
    });
    const sandbox = testSandbox(slowStops, { install, idleGraceMs: 1000, maxWarm: 5 });
    const spec = recordingSpec(gitRepo(environment).dir, repo, { agentEnv: { AGENT_TOKEN: 'one' } });
    const handle = await sandbox.prepare(spec);
    expect(await sandbox.park(spec.agentId)).toBe('warm');
    await sandbox.keepFacts(spec.agentId);
    await asked;

    // The claim inside find starts at once and waits for the stop under way.
    const finding = sandbox.find(spec.agentId, { env: { AGENT_TOKEN: 'two' }, facts: true });
    letStop();
    const found = await finding;
    expect(found?.containerId).toBe(handle.containerId);
    expect(found?.warm).toBe(false);
    expect(await run('cat .starts', found!)).toBe('start ran [one]\nstart ran [two]');
    expect(found!.preparedFacts?.terminals).toEqual(['dev']);
    expect(await running(handle.containerId)).toBe(true);
    sandbox.close();
  });
});

describe('what the system prompt tells the agent about a warm machine', () => {
  it('is read when the run ends and handed to the follow-up, unless someone is in the machine then', async () => {
    const sandbox = testSandbox(docker, { install, idleGraceMs: 600_000, maxWarm: 5 });
    const spec = recordingSpec(gitRepo(environment).dir, repo);
    const handle = await sandbox.prepare(spec);
    await run('echo notes > AGENTS.md', handle);
    expect(await sandbox.park(spec.agentId)).toBe('warm');
    await sandbox.keepFacts(spec.agentId);
    const found = await sandbox.find(spec.agentId, { facts: true });
    expect(found?.warm).toBe(true);
    expect(found!.preparedFacts?.notes).toContain('notes');
    expect(found!.preparedFacts?.terminals).toEqual(['dev']);

    // Parked again with a person's command running in it: the follow-up reads the facts anew.
    expect(await sandbox.park(spec.agentId)).toBe('warm');
    await sandbox.keepFacts(spec.agentId);
    const attached = handle.exec('touch person-was-here; while [ ! -e /tmp/detach ]; do sleep 0.1; done', { timeoutMs: 120_000 });
    await waitFor(async () => (await run('ls', handle)).includes('person-was-here'), { what: 'the person\'s command to start' });
    const again = await sandbox.find(spec.agentId, { facts: true });
    expect(again!.preparedFacts?.topLevel).toContain('person-was-here');
    await run('touch /tmp/detach', handle);
    expect((await attached).exitCode).toBe(0);
    sandbox.close();
  });
});
