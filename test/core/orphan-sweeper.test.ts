import { OrphanSweeper, orphanSummary } from '../../src/core/index.js';
import { coreHarness, silentLog, slackThread, slackUser, TestClock, type CoreHarness } from '../support/core.js';

describe('agents whose worker died and nobody took over', () => {
  let h: CoreHarness;
  const clock = new TestClock();
  beforeEach(async () => {
    h = await coreHarness({ clock });
  });
  afterEach(async () => {
    await h.close();
  });

  const sweeper = () => new OrphanSweeper({ agents: h.stores.agents, service: h.service, runLeases: h.stores.runLeases, queue: h.queue, clock, log: silentLog, graceMs: 60_000 });

  async function running(text: string): Promise<string> {
    const { agent } = await h.service.launch({ principal: slackUser(), workspace: 'T1', conversation: slackThread(), text });
    await h.queue.cancel(agent.id);
    await h.service.transition(agent.id, 'preparing');
    await h.service.transition(agent.id, 'running');
    return agent.id;
  }

  it('fail clearly once they have looked orphaned for the grace period, and get a salvage job', async () => {
    const orphan = await running('repo=a/b orphaned');
    const alive = await running('repo=a/b alive');
    await h.stores.runLeases.acquire(alive, 600_000);
    const queued = await running('repo=a/b waiting for a worker');
    await h.queue.enqueue('resume', queued);
    const sweeps = sweeper();

    expect(await sweeps.sweep()).toEqual([]);
    clock.advance(61_000);
    expect(await sweeps.sweep()).toEqual([orphan]);

    const failed = await h.stores.agents.get(orphan);
    expect(failed).toMatchObject({ status: 'failed', summary: orphanSummary, error: { code: 'unavailable' } });
    expect((await h.stores.agents.get(alive))?.status).toBe('running');
    expect((await h.stores.agents.get(queued))?.status).toBe('running');
    const salvage = (await h.queue.queue.getJobs(['waiting'])).filter((job) => job.name === 'salvage');
    expect(salvage.map((job) => job.data)).toEqual([{ agentId: orphan }]);
  });
});
