import type { Redis } from 'ioredis';
import { GitHubTriggerQueue, type GitHubTriggerJob } from '../../src/queue/github-trigger-queue.js';
import { silentLog } from '../support/core.js';
import { deleteKeys, testRedis, uniquePrefix } from '../support/redis.js';
import { waitFor } from '../support/wait.js';

const delivery = (deliveryId: string, number: number) => ({
  deliveryId,
  name: 'issue_comment' as const,
  raw: JSON.stringify({ action: 'created', installation: { id: 7 }, issue: { number }, comment: { id: number, body: '@errand fix it' } }),
});

describe('GitHub deliveries accepted before they are queued', () => {
  let redis: Redis;
  let prefix: string;
  const queues: GitHubTriggerQueue[] = [];
  beforeEach(async () => {
    redis = await testRedis();
    prefix = uniquePrefix('inbox').replace(/:$/, '');
  });
  afterEach(async () => {
    for (const queue of queues.splice(0)) await queue.close();
    await deleteKeys(redis, `${prefix}:`);
    await redis.quit();
  });
  const queue = (options: { staleAfterMs?: number } = {}) => {
    const made = new GitHubTriggerQueue(redis, prefix, { backoffMs: 10, ...options });
    queues.push(made);
    return made;
  };

  it('runs a delivery accepted while no process was draining, once, and refuses its redelivery', async () => {
    const accepting = queue();
    expect(await accepting.accept(delivery('d-1', 1))).toBe(true);
    expect(await accepting.accept(delivery('d-1', 1))).toBe(false);

    const ran: GitHubTriggerJob[] = [];
    await queue().start(async (job) => void ran.push(job), silentLog);
    await waitFor(() => ran.length === 1, { what: 'the delivery to run' });
    expect(ran[0]).toMatchObject({ deliveryId: 'd-1', name: 'issue_comment', payload: { installation: { id: 7 }, issue: { number: 1 } } });
    expect(await redis.xlen(`${prefix}:github:inbox`)).toBe(0);
  });

  it('takes over deliveries a drainer read and never queued (it died), and runs each once', async () => {
    const accepting = queue();
    await accepting.accept(delivery('d-2', 2));
    await accepting.accept(delivery('d-3', 3));
    // A drainer that read both entries and died before putting them on the queue.
    await redis.xgroup('CREATE', `${prefix}:github:inbox`, 'drain', '0', 'MKSTREAM');
    expect(await redis.xreadgroup('GROUP', 'drain', 'dead', 'COUNT', 10, 'STREAMS', `${prefix}:github:inbox`, '>')).toHaveLength(1);

    const ran: string[] = [];
    await queue({ staleAfterMs: 50 }).start(async (job) => void ran.push(job.deliveryId), silentLog);
    await waitFor(() => ran.length === 2, { what: 'both deliveries to run', timeoutMs: 10_000 });
    expect(ran.sort()).toEqual(['d-2', 'd-3']);
    expect(await redis.xlen(`${prefix}:github:inbox`)).toBe(0);
  });

  it('drops a delivery without an installation instead of retrying it', async () => {
    const ran: string[] = [];
    const draining = queue();
    await draining.start(async (job) => void ran.push(job.deliveryId), silentLog);
    await draining.accept({ deliveryId: 'd-4', name: 'issue_comment', raw: JSON.stringify({ action: 'created', comment: { body: '@errand hi' } }) });
    await draining.accept(delivery('d-5', 5));
    await waitFor(() => ran.length === 1, { what: 'the valid delivery to run' });
    expect(ran).toEqual(['d-5']);
    await waitFor(async () => (await redis.xlen(`${prefix}:github:inbox`)) === 0, { what: 'the inbox to empty' });
  });
});
