import type Docker from 'dockerode';
import { newAgentId } from '../../src/core/ids.js';
import { Reaper } from '../../src/sandbox/docker/reaper.js';
import type { DockerSandbox } from '../../src/sandbox/docker/docker-sandbox.js';
import { proxyBed, startDestinations, type Destinations, type ProxyBed } from '../support/egress.js';
import { recordingSpec, sandboxTestBed, silentLog, testSandbox } from '../support/docker.js';
import { uniqueInstance } from '../support/redis.js';

/**
 * The pool of pre-started machines: a pool machine holds nothing of any agent until a launch in
 * its own workspace (and install) claims it; then it becomes that agent's machine like any other.
 */
const bed = sandboxTestBed('pool');
const install = uniqueInstance('pool');
const sandbox = testSandbox(bed.docker, { install, poolSize: 1, poolMax: 4 });
const secret = 'pool-secret-value-0123456789';
const environment = JSON.stringify({ install: 'mkdir -p deps && echo ok > deps/ok', start: 'echo "$POOL_SECRET" > /tmp/started', terminals: [{ name: 'dev', command: 'echo dev up' }] });
let destinations: Destinations;
let proxies: ProxyBed;

beforeAll(async () => {
  destinations = await startDestinations();
  proxies = proxyBed(destinations);
});
afterAll(async () => {
  sandbox.close();
  await sandbox.machinePool.settled();
  await proxies.close();
  await destinations.close();
});

/** This install's unclaimed pool machines of the test repository. */
async function poolMachines(docker: Docker = bed.docker): Promise<Docker.ContainerInfo[]> {
  const list = await docker.listContainers({ all: true, filters: { label: ['errand.pool', `errand.repo=${bed.repo}`] } });
  return list.filter((info) => info.Names[0]!.startsWith('/errand-pool-'));
}

async function launch(on: DockerSandbox, workspace: string, files: Record<string, string>): Promise<{ agentId: string; containerId: string; handle: Awaited<ReturnType<DockerSandbox['prepare']>> }> {
  const agentId = newAgentId();
  const session = await proxies.open(agentId, {});
  const project = bed.gitRepo({ '.errand/environment.json': environment, ...files });
  const handle = await on.prepare(recordingSpec(project.dir, bed.repo, {
    agentId, workspace, agentEnv: { POOL_SECRET: secret },
    egress: { socketDir: session.socketDir, enterAgentPhase: () => session.setPhase('agent') },
  }));
  await on.machinePool.settled();
  return { agentId, containerId: handle.containerId, handle };
}

describe('machine pool', () => {
  it('keeps a started machine with no secret, no checkout, no sidecar and network none; the next launch in the workspace claims it and gets all of them', async () => {
    // The first launch installs and saves a snapshot; the pool machine made for the base image is
    // then stale, and the next launch (from the snapshot) refills the pool from the snapshot.
    const installing = await launch(sandbox, 'T-pool', {});
    const first = await launch(sandbox, 'T-pool', { 'first.txt': 'one\n' });
    await sandbox.remove(installing.agentId);
    const [pooled, ...more] = await poolMachines();
    expect(pooled!.ImageID).toBe((await bed.docker.getContainer(first.containerId).inspect()).Image);
    expect(more).toEqual([]);
    const info = await bed.docker.getContainer(pooled!.Id).inspect();
    expect(info.State.Running).toBe(true);
    expect(info.HostConfig.NetworkMode).toBe('none');
    expect(info.Config.Labels['errand.agent']).toBe('');
    expect(info.Config.Labels['errand.workspace']).toBe('T-pool');
    expect(info.Config.Labels['errand.install']).toBe(install);
    expect(JSON.stringify(info.Config.Env)).not.toContain(secret);
    // Hardening as any machine: the same host settings as the first agent's own container.
    const own = await bed.docker.getContainer(first.containerId).inspect();
    for (const field of ['CapDrop', 'SecurityOpt', 'ReadonlyRootfs', 'PidsLimit', 'Memory', 'NanoCpus', 'UsernsMode'] as const) expect(info.HostConfig[field]).toEqual(own.HostConfig[field]);
    expect(info.Config.Cmd).toEqual(own.Config.Cmd);
    // Nothing joined its network namespace, and nothing of any checkout is in it.
    const joined = await bed.docker.listContainers({ all: true, filters: { label: [`errand.repo=${bed.repo}`, 'errand.role=egress'] } });
    expect(joined.map((c) => c.HostConfig.NetworkMode)).not.toContain(`container:${pooled!.Id}`);
    // (Its /workspace is what the snapshot image holds: the install's output; no agent's checkout.)
    for (const path of ['/workspace/first.txt', '/workspace/second.txt']) {
      expect(await bed.docker.getContainer(pooled!.Id).getArchive({ path }).then(() => 'present', () => 'absent')).toBe('absent');
    }

    const second = await launch(sandbox, 'T-pool', { 'second.txt': 'two\n' });
    expect(second.containerId).toBe(pooled!.Id);
    const { handle } = second;
    expect((await handle.exec('cat second.txt; ls first.txt 2>&1 || true; cat deps/ok')).output).toMatch(/two[\s\S]*No such file[\s\S]*ok/);
    expect((await handle.exec('cat /tmp/started')).output.trim()).toBe(secret);
    expect(await handle.terminals()).toContain('dev');
    const sidecars = await bed.docker.listContainers({ filters: { label: [`errand.agent=${second.agentId}`, 'errand.role=egress'] } });
    expect(sidecars.map((c) => c.HostConfig.NetworkMode)).toEqual([`container:${pooled!.Id}`]);
    expect(handle.preparedFacts?.terminals).toContain('dev');
    // The claimed machine is the agent's for every lookup: found, attached to, removed.
    expect((await sandbox.find(second.agentId))?.containerId).toBe(pooled!.Id);
    // Refilled in the background after the claim.
    expect((await poolMachines()).map((c) => c.Id)).not.toContain(pooled!.Id);
    expect(await poolMachines()).toHaveLength(1);
    await sandbox.remove(second.agentId);
    await expect(bed.docker.getContainer(pooled!.Id).inspect()).rejects.toMatchObject({ statusCode: 404 });
    await sandbox.remove(first.agentId);
  });

  it('never hands a machine to another workspace or another install', async () => {
    await launch(sandbox, 'T-pool', {});
    const pooled = (await poolMachines()).filter((c) => c.Labels['errand.workspace'] === 'T-pool').map((c) => c.Id);
    expect(pooled).toHaveLength(1);
    const other = await launch(sandbox, 'T-other', {});
    expect(pooled).not.toContain(other.containerId);
    const otherInstall = testSandbox(bed.docker, { install: uniqueInstance('pool-b'), poolSize: 1 });
    const theirs = await launch(otherInstall, 'T-pool', {});
    expect(pooled).not.toContain(theirs.containerId);
    otherInstall.close();
    // Still there for its own workspace and install.
    const still = (await poolMachines()).map((c) => c.Id);
    expect(still).toEqual(expect.arrayContaining(pooled));
  });

  it("removes stale pool machines in this install's reaper only", async () => {
    const before = (await poolMachines()).filter((c) => c.Labels['errand.install'] === install).map((c) => c.Id);
    expect(before.length).toBeGreaterThan(0);
    const later = () => Date.now() + 3_600_000;
    const theirs = new Reaper({ docker: bed.docker, log: silentLog, install: uniqueInstance('pool-c'), isLive: () => true, poolIdleMs: 60_000, now: later });
    expect((await theirs.reap()).containers).toEqual([]);
    // Within the idle limit: kept.
    const ours = (now: () => number) => new Reaper({ docker: bed.docker, log: silentLog, install, isLive: () => true, poolIdleMs: 60_000, now });
    expect((await ours(Date.now).reap()).containers).toEqual([]);
    expect((await ours(later).reap()).containers.sort()).toEqual([...before].sort());
    expect((await poolMachines()).filter((c) => c.Labels['errand.install'] === install)).toEqual([]);
  });

  it('falls back to a fresh machine when the claimed one fails', async () => {
    await launch(sandbox, 'T-broken', {});
    const [pooled] = (await poolMachines()).filter((c) => c.Labels['errand.workspace'] === 'T-broken');
    // The machine dies the moment it is claimed (renamed): its sidecar cannot join it.
    const events = (await bed.docker.getEvents({ filters: { type: ['container'], event: ['rename'], container: [pooled!.Id] } })) as NodeJS.ReadableStream & { destroy(): void };
    events.once('data', () => void bed.docker.getContainer(pooled!.Id).kill().catch(() => undefined));
    try {
      const next = await launch(sandbox, 'T-broken', { 'after.txt': 'fresh\n' });
      expect(next.containerId).not.toBe(pooled!.Id);
      expect((await next.handle.exec('cat after.txt')).output).toContain('fresh');
      await expect(bed.docker.getContainer(pooled!.Id).inspect()).rejects.toMatchObject({ statusCode: 404 });
    } finally {
      events.destroy();
    }
  });

  it('with pool size 0 keeps no machine', async () => {
    const plain = testSandbox(bed.docker, { install: uniqueInstance('pool-off') });
    const { containerId } = await launch(plain, 'T-off', {});
    const info = await bed.docker.getContainer(containerId).inspect();
    expect(info.Config.Labels['errand.agent']).toBeDefined();
    expect((await poolMachines()).filter((c) => c.Labels['errand.workspace'] === 'T-off')).toEqual([]);
  });
});
