import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { JobName } from '../../src/queue/jobs.js';
import { RunWorker } from '../../src/queue/run-worker.js';
import { coreHarness, silentLog, type CoreHarness } from '../support/core.js';
import { waitFor } from '../support/wait.js';

/**
 * Workers on two hosts share one Redis; each drives its own Docker engine. What each worker ran
 * is recorded as the real worker does: the host that runs an agent holds its machine.
 */
describe('workers on several hosts', () => {
  let h: CoreHarness;
  const workers = new Map<string, RunWorker>();
  const ran: { host: string; name: JobName; agentId: string }[] = [];
  beforeEach(async () => {
    h = await coreHarness();
    h.queue.routeBy(h.stores.machineHosts);
    ran.length = 0;
  });
  afterEach(async () => {
    for (const worker of workers.values()) await worker.close(true);
    workers.clear();
    await h.close();
  });

  async function startWorker(host: string): Promise<void> {
    await h.stores.machineHosts.heartbeat(host, 60_000);
    const worker = new RunWorker({
      connection: h.redis, queueName: 'runs', prefix: h.prefix.replace(/:$/, ''), stops: h.stores.stops, log: silentLog, concurrency: 2, host,
      handler: async (name, payload) => {
        await h.stores.machineHosts.record(payload.agentId, host, 60_000);
        ran.push({ host, name, agentId: payload.agentId });
      },
    });
    await worker.start();
    workers.set(host, worker);
  }

  const runsOf = (agentId: string) => ran.filter((run) => run.agentId === agentId);

  it('runs each agent once, and sends its follow-ups to the host that holds its machine', async () => {
    await startWorker('host-a');
    await startWorker('host-b');
    const agents = ['ag_aaaaaaaaaaa1', 'ag_aaaaaaaaaaa2', 'ag_aaaaaaaaaaa3', 'ag_aaaaaaaaaaa4'];
    for (const agentId of agents) {
      await h.queue.enqueue('run', agentId);
      await h.queue.enqueue('run', agentId);
    }
    await waitFor(async () => ran.length === agents.length, { what: 'every agent to run' });
    for (const agentId of agents) expect(runsOf(agentId)).toHaveLength(1);

    for (const agentId of agents) {
      for (let i = 0; i < 3; i++) {
        const before = runsOf(agentId).length;
        await h.queue.enqueue('resume', agentId);
        await waitFor(async () => runsOf(agentId).length === before + 1, { what: `resume ${i + 1} of ${agentId}` });
      }
      const [first, ...resumes] = runsOf(agentId);
      expect(resumes.map((run) => [run.name, run.host])).toEqual([['resume', first!.host], ['resume', first!.host], ['resume', first!.host]]);
    }
    expect(await h.queue.pendingAgents()).toEqual(new Set());
  });

  it('resumes on another host once the machine\'s host has no live worker, and moves the jobs left waiting for it', async () => {
    await startWorker('host-a');
    await h.queue.enqueue('run', 'ag_bbbbbbbbbbb1');
    await waitFor(async () => runsOf('ag_bbbbbbbbbbb1').length === 1, { what: 'the run on host-a' });
    // host-a's worker stops; a resume already routed to it waits there.
    await workers.get('host-a')!.close();
    workers.delete('host-a');
    await h.queue.enqueue('resume', 'ag_bbbbbbbbbbb1');
    expect(await h.queue.pendingAgents()).toEqual(new Set(['ag_bbbbbbbbbbb1']));
    await h.stores.machineHosts.forgetHost('host-a');
    await startWorker('host-b');
    expect(await h.queue.moveHostJobs('host-a')).toBe(1);
    await waitFor(async () => runsOf('ag_bbbbbbbbbbb1').length === 2, { what: 'the resume on host-b' });
    // Its machine is now on host-b: later follow-ups go there.
    await h.queue.enqueue('resume', 'ag_bbbbbbbbbbb1');
    await waitFor(async () => runsOf('ag_bbbbbbbbbbb1').length === 3, { what: 'the next resume' });
    expect(runsOf('ag_bbbbbbbbbbb1').map((run) => run.host)).toEqual(['host-a', 'host-b', 'host-b']);
  });
});
