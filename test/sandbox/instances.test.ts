import { newAgentId } from '../../src/core/ids.js';
import { Reaper } from '../../src/sandbox/docker/reaper.js';
import { recordingSpec, sandboxTestBed, silentLog, testSandbox } from '../support/docker.js';
import { uniqueInstance } from '../support/redis.js';

/**
 * Two Errand installs on one Docker host (staging next to production): each knows only its own
 * agents, and each one's reaper runs at start-up while the other's agent works.
 */
describe('two Errand instances on one Docker host', () => {
  const bed = sandboxTestBed('instances');

  it("each runs an agent while the other starts and sweeps, and neither reaps the other's container", async () => {
    const project = bed.gitRepo({ 'README.md': '# two installs\n' });
    const installs = ['a', 'b'].map((name) => {
      const instance = uniqueInstance(`inst-${name}`);
      const agents = new Set<string>();
      return {
        instance,
        agents,
        sandbox: testSandbox(bed.docker, { install: instance }),
        // The reaper's view of its own store: only its own agents are live.
        reaper: new Reaper({ docker: bed.docker, log: silentLog, install: instance, isLive: (agentId) => agents.has(agentId) }),
      };
    });
    const [a, b] = installs as [(typeof installs)[0], (typeof installs)[0]];

    const agentA = newAgentId();
    a.agents.add(agentA);
    const handleA = await a.sandbox.prepare(recordingSpec(project.dir, bed.repo, { agentId: agentA }));
    // B starts while A's agent works: its start-up sweep sees A's container and leaves it.
    expect(await b.reaper.reap()).toEqual({ containers: [], images: [] });

    const agentB = newAgentId();
    b.agents.add(agentB);
    const handleB = await b.sandbox.prepare(recordingSpec(project.dir, bed.repo, { agentId: agentB }));
    // A restarts and sweeps while B's agent works.
    expect(await a.reaper.reap()).toEqual({ containers: [], images: [] });

    for (const [handle, install] of [[handleA, a], [handleB, b]] as const) {
      const info = await bed.docker.getContainer(handle.containerId).inspect();
      expect(info.State.Running).toBe(true);
      expect(info.Config.Labels['errand.install']).toBe(install.instance);
      expect((await handle.exec('echo still here')).output).toContain('still here');
    }

    // Each still reaps its own orphans: A forgets its agent, and only A's sweep removes the container.
    a.agents.delete(agentA);
    expect((await b.reaper.reap()).containers).toEqual([]);
    expect((await a.reaper.reap()).containers).toEqual([handleA.containerId]);
    expect((await bed.docker.getContainer(handleB.containerId).inspect()).State.Running).toBe(true);
  });
});
