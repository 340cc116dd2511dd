import { RetentionSweeper, RunAdmission } from '../../src/core/index.js';
import { RunWorker } from '../../src/queue/run-worker.js';
import { coreHarness, silentLog, slackThread, slackUser, TestClock, type CoreHarness } from '../support/core.js';
import { waitFor } from '../support/wait.js';

describe('concurrency limits', () => {
  let h: CoreHarness;
  let worker: RunWorker | null = null;
  beforeEach(async () => {
    h = await coreHarness();
  });
  afterEach(async () => {
    await worker?.close(true);
    await h.close();
  });

  it('queues a person’s second agent behind the first and says so, then runs it when a slot frees', async () => {
    await h.stores.settings.set('T1', { ...(await h.stores.settings.get('T1')), maxConcurrentPerPerson: 1 });
    const started: string[] = [];
    const release = new Map<string, () => void>();
    worker = new RunWorker({
      connection: h.redis,
      queueName: 'runs',
      prefix: h.prefix.replace(/:$/, ''),
      stops: h.stores.stops,
      log: silentLog,
      concurrency: 4,
      admission: new RunAdmission(h.stores),
      admissionRetryMs: 100,
      handler: async (_name, { agentId }) => {
        started.push(agentId);
        await h.service.transition(agentId, 'preparing');
        await new Promise<void>((done) => release.set(agentId, done));
        await h.service.transition(agentId, 'running');
        await h.service.transition(agentId, 'finished');
      },
    });
    await worker.start();
    const owner = slackUser('UA');
    const first = (await h.service.launch({ principal: owner, workspace: 'T1', conversation: slackThread('1.1'), text: 'repo=a/b one' })).agent;
    await waitFor(() => started.length === 1, { what: 'the first run' });
    const second = (await h.service.launch({ principal: owner, workspace: 'T1', conversation: slackThread('1.2'), text: 'repo=a/b two' })).agent;
    const other = (await h.service.launch({ principal: slackUser('UB'), workspace: 'T1', conversation: slackThread('1.3'), text: 'repo=a/b three' })).agent;

    await waitFor(() => release.has(other.id), { what: "someone else's agent to start" });
    const waiting = await waitFor(async () => (await h.stores.events.read(second.id)).find((e) => e.type === 'status' && e.message?.includes('queued behind')), { what: 'the queued message' });
    expect(waiting).toMatchObject({ message: 'queued behind your 1 running agent (limit 1 per person)' });
    expect(started).not.toContain(second.id);

    release.get(first.id)!();
    await waitFor(() => release.has(second.id), { what: 'the second run after the first finished' });
    release.get(second.id)!();
    release.get(other.id)!();
    await waitFor(async () => (await h.stores.agents.list({ status: ['finished'] })).agents.length === 3, { what: 'all three to finish' });
    // The message was posted once, not on every retry.
    const messages = (await h.stores.events.read(second.id)).filter((e) => e.type === 'status' && e.message?.includes('queued behind'));
    expect(messages).toHaveLength(1);
  });
});

describe('retention', () => {
  it('expires agents whose retention passed and drops their transcript', async () => {
    const clock = new TestClock();
    const h = await coreHarness({ clock, retentionDays: 1 });
    try {
      await h.stores.settings.set('T1', { ...(await h.stores.settings.get('T1')), retentionDays: 1 });
      const old = (await h.service.launch({ principal: slackUser(), workspace: 'T1', conversation: slackThread('1'), text: 'repo=a/b old' })).agent;
      await h.service.transition(old.id, 'stopped');
      clock.advance(20 * 3600_000);
      const fresh = (await h.service.launch({ principal: slackUser(), workspace: 'T1', conversation: slackThread('2'), text: 'repo=a/b fresh' })).agent;
      clock.advance(5 * 3600_000);
      const removed: string[] = [];
      h.service.forgetter.useContainers({ remove: async (agentId) => void removed.push(agentId) });
      const sweeper = new RetentionSweeper({ ...h.stores, service: h.service, clock, log: silentLog });
      expect(await sweeper.sweep()).toEqual([old.id]);
      expect((await h.service.get(old.id))?.status).toBe('expired');
      expect((await h.service.get(fresh.id))?.status).toBe('queued');
      expect(removed).toEqual([old.id]);
      expect(await h.stores.events.read(old.id)).toEqual([]);
      expect(await sweeper.sweep()).toEqual([]);
    } finally {
      await h.close();
    }
  });
});
