import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { isErrandError } from '../../src/core/errors.js';
import { newAgentId } from '../../src/core/ids.js';
import { attachCommand } from '../../src/sandbox/docker/attach.js';
import { Reaper } from '../../src/sandbox/docker/reaper.js';
import { makeGitRepo, type TestRepo } from '../support/git-repo.js';
import { recordingSpec, removeByRepo, silentLog, testDocker, testSandbox, uniqueRepo } from '../support/docker.js';
import { waitFor } from '../support/wait.js';

const docker = testDocker();
const repo = uniqueRepo('operate');
const sandbox = testSandbox(docker, { memoryMb: 384, cpus: 0.5, pids: 200 });
let project: TestRepo;
const hostSessions: string[] = [];

beforeAll(() => {
  project = makeGitRepo({ '.errand/environment.json': JSON.stringify({ terminals: [{ name: 'dev server', command: 'echo dev server listening on 3000' }] }) });
});

afterAll(async () => {
  for (const session of hostSessions) execFileSync('tmux', ['kill-session', '-t', session], { stdio: 'ignore' });
  await removeByRepo(docker, repo);
  project.remove();
});

describe('operating sandboxes', () => {
  // This engine runs with userns-remap, so machines may use sudo (no-new-privileges off, the sudo
  // capability set); the engine without user namespaces is covered in isolation.test.ts.
  it('runs containers unprivileged, with capabilities dropped to what sudo needs and limits set', async () => {
    const handle = await sandbox.prepare(recordingSpec(project.dir, repo));
    const { HostConfig, Config } = await docker.getContainer(handle.containerId).inspect();
    expect(HostConfig).toMatchObject({
      Privileged: false,
      CapDrop: ['ALL'],
      SecurityOpt: [],
      PidsLimit: 200,
      Memory: 384 * 1024 * 1024,
      MemorySwap: 384 * 1024 * 1024,
      NanoCpus: 500_000_000,
      NetworkMode: 'none',
      Init: true,
    });
    expect([...(HostConfig.CapAdd ?? [])].sort()).toEqual(['AUDIT_WRITE', 'CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'KILL', 'SETGID', 'SETUID']);
    expect(HostConfig.Binds ?? []).toEqual([]);
    // The kill supervisor is the main process (root only inside the remapped machine); commands run as the user.
    expect(Config.User).toBe('root');
    expect(handle.user).toBe('errand');
    const status = await handle.exec('id -un; grep -E "^(CapEff|NoNewPrivs)" /proc/self/status');
    expect(status.output).toMatch(/^errand\n/);
    expect(status.output).toMatch(/CapEff:\s+0000000000000000/);
    expect(status.output).toMatch(/NoNewPrivs:\s+0/);
  });

  it('gives a root environment only the capabilities package managers and sudo need', async () => {
    const rootProject = makeGitRepo({ '.errand/environment.json': JSON.stringify({ user: 'root', install: 'chown nobody /tmp && echo chowned' }) });
    try {
      const spec = recordingSpec(rootProject.dir, repo);
      const handle = await sandbox.prepare(spec);
      expect(spec.recorded.text('install')).toContain('chowned');
      const { HostConfig } = await docker.getContainer(handle.containerId).inspect();
      expect(HostConfig.CapDrop).toEqual(['ALL']);
      expect([...(HostConfig.CapAdd ?? [])].sort()).toEqual(['AUDIT_WRITE', 'CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'KILL', 'SETGID', 'SETUID']);
      expect((await handle.exec('mknod /tmp/dev c 1 3 || echo refused')).output).toContain('refused');
    } finally {
      rootProject.remove();
    }
  });

  it('reaps containers of agents that no longer exist and keeps the live ones', async () => {
    const live = await sandbox.prepare(recordingSpec(project.dir, repo));
    const orphanId = newAgentId();
    const orphan = await docker.createContainer({ Image: 'errand-base:bookworm', Cmd: ['sleep', 'infinity'], Labels: { 'errand.agent': orphanId, 'errand.repo': repo }, HostConfig: { NetworkMode: 'none' } });
    await orphan.start();
    const orphanImage = await orphan.commit({ repo: 'errand-test-orphan', tag: orphanId.slice(3), Labels: { 'errand.agent': orphanId, 'errand.repo': repo } });

    // Only this test's orphan is dead: containers of other test files running meanwhile stay live.
    const reaper = new Reaper({ docker, log: silentLog, isLive: (agentId) => agentId !== orphanId });
    const result = await reaper.reap();
    expect(result.containers).toEqual([orphan.id]);
    expect(result.images).toEqual([orphanImage.Id]);
    expect(await docker.getContainer(orphan.id).inspect().catch((e: { statusCode?: number }) => e.statusCode)).toBe(404);
    expect((await docker.getContainer(live.containerId).inspect()).State.Running).toBe(true);
  });

  it('leaves containers of another Errand install on the same Docker host alone', async () => {
    const ours = newAgentId();
    const theirs = newAgentId();
    const make = (agentId: string, install: string) =>
      docker.createContainer({ Image: 'errand-base:bookworm', Cmd: ['sleep', 'infinity'], Labels: { 'errand.agent': agentId, 'errand.repo': repo, 'errand.install': install }, HostConfig: { NetworkMode: 'none' } });
    const mine = await make(ours, 'install-a:');
    const other = await make(theirs, 'install-b:');
    // Install A knows neither agent (both look dead to it), but only reaps what it made.
    const reaper = new Reaper({ docker, log: silentLog, install: 'install-a:', isLive: (agentId) => agentId !== ours && agentId !== theirs });
    expect((await reaper.reap()).containers).toEqual([mine.id]);
    expect((await other.inspect()).Id).toBe(other.id);
    await other.remove({ force: true });
  });

  it('lets a person attach to the agent container tmux session', async () => {
    const spec = recordingSpec(project.dir, repo);
    await sandbox.prepare(spec);
    const args = await attachCommand(docker, spec.agentId);
    expect(args.slice(0, 4)).toEqual(['exec', '-it', '-u', 'errand']);
    expect(args.slice(-5)).toEqual(['tmux', 'new-session', '-A', '-s', 'errand']);

    const session = `errand-attach-${randomBytes(4).toString('hex')}`;
    hostSessions.push(session);
    const script = fileURLToPath(new URL('../support/attach-cli.ts', import.meta.url));
    const tsx = fileURLToPath(new URL('../../node_modules/.bin/tsx', import.meta.url));
    execFileSync('tmux', ['new-session', '-d', '-s', session, '-x', '120', '-y', '30', `${tsx} ${script} ${spec.agentId}; sleep 30`]);
    const screen = await waitFor(() => {
      const text = execFileSync('tmux', ['capture-pane', '-p', '-t', session], { encoding: 'utf8' });
      return text.includes('dev server listening on 3000') && text.includes('[errand]') ? text : false;
    }, { timeoutMs: 20_000, what: 'the container tmux window on the host terminal' });
    expect(screen).toContain('0:dev server');
  });

  it('refuses to attach to an agent without a container', async () => {
    const error = await attachCommand(docker, newAgentId()).catch((e: unknown) => e as Error);
    expect(isErrandError(error, 'not_found')).toBe(true);
  });
});
