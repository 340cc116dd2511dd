import { Queue } from 'bullmq';
import type { JobName } from '../../src/queue/jobs.js';
import { RunWorker, type JobContext } from '../../src/queue/run-worker.js';
import { coreHarness, silentLog, type CoreHarness } from '../support/core.js';
import { waitFor } from '../support/wait.js';

describe('run queue and worker', () => {
  let h: CoreHarness;
  let worker: RunWorker | null = null;
  beforeEach(async () => {
    h = await coreHarness();
  });
  afterEach(async () => {
    await worker?.close(true);
    worker = null;
    await h.close();
  });

  function startWorker(handler: (name: JobName, agentId: string, context: JobContext) => Promise<void>): Promise<void> {
    worker = new RunWorker({
      connection: h.redis,
      queueName: 'runs',
      prefix: h.prefix.replace(/:$/, ''),
      stops: h.stores.stops,
      log: silentLog,
      concurrency: 2,
      handler: (name, payload, context) => handler(name, payload.agentId, context),
    });
    return worker.start();
  }

  it('runs an agent enqueued twice with the same id once', async () => {
    const runs: string[] = [];
    await h.queue.enqueue('run', 'ag_aaaaaaaaaaaa');
    await h.queue.enqueue('run', 'ag_aaaaaaaaaaaa');
    await startWorker(async (_name, agentId) => void runs.push(agentId));
    await waitFor(async () => (await h.queue.queue.getCompletedCount()) === 1, { what: 'the run to complete' });
    await h.queue.enqueue('run', 'ag_bbbbbbbbbbbb');
    await waitFor(async () => (await h.queue.queue.getCompletedCount()) === 2, { what: 'the second run' });
    expect(runs).toEqual(['ag_aaaaaaaaaaaa', 'ag_bbbbbbbbbbbb']);
  });

  it('fails a malformed payload at once, without retries', async () => {
    const handled: string[] = [];
    await startWorker(async (_name, agentId) => void handled.push(agentId));
    const raw = new Queue('runs', { connection: h.redis, prefix: h.prefix.replace(/:$/, '') });
    const job = await raw.add('run', { agentId: '../../etc/passwd' }, { attempts: 5, backoff: { type: 'fixed', delay: 10 } });
    const unknown = await raw.add('explode', { agentId: 'ag_aaaaaaaaaaaa' }, { attempts: 5 });
    await waitFor(async () => (await raw.getFailedCount()) === 2, { what: 'both jobs to fail' });
    const failed = await raw.getJob(job.id!);
    expect(failed?.attemptsMade).toBe(1);
    expect(failed?.failedReason).toContain('invalid run payload');
    expect((await raw.getJob(unknown.id!))?.failedReason).toContain('unknown job name');
    expect(handled).toEqual([]);
    await raw.close();
  });

  it('aborts a running agent when any process asks it to stop', async () => {
    let aborted: unknown = null;
    await startWorker(
      (_name, _agentId, { signal }) =>
        new Promise<void>((done) => {
          signal.addEventListener('abort', () => {
            aborted = signal.reason;
            done();
          });
        }),
    );
    await h.queue.enqueue('run', 'ag_cccccccccccc');
    await waitFor(async () => (await h.queue.queue.getActiveCount()) === 1, { what: 'the run to start' });
    await h.stores.stops.requestStop('ag_cccccccccccc');
    await waitFor(() => aborted !== null, { what: 'the abort' });
    expect(String(aborted)).toContain('stopped');
  });

  it('removes a queued job that has not started', async () => {
    await h.queue.enqueue('run', 'ag_dddddddddddd');
    expect(await h.queue.waiting()).toBe(1);
    expect(await h.queue.cancel('ag_dddddddddddd')).toBe(true);
    expect(await h.queue.waiting()).toBe(0);
    expect(await h.queue.cancel('ag_dddddddddddd')).toBe(false);
  });
});
