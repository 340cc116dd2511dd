import { randomUUID } from 'node:crypto';
import { Queue, UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { Log } from '../core/index.js';
import { RedisGitHubInbox, type InboxDelivery } from '../store/redis/github-inbox.js';
import { Keys } from '../store/redis/keys.js';

export const githubTriggerQueueName = 'errand-github-triggers';

/**
 * One GitHub delivery that may ask for the agent, accepted after its signature check and
 * de-duplication: the permission check, `.github/errand.yml` read and launch happen when the job
 * runs. The delivery is the input itself (GitHub does not send it again), so the job keeps the
 * payload; it lives a day once handled.
 */
export const GitHubTriggerJob = z.object({
  deliveryId: z.string().min(1),
  name: z.enum(['issue_comment', 'pull_request_review_comment', 'issues']),
  payload: z.looseObject({ installation: z.looseObject({ id: z.number().int() }) }),
});
export type GitHubTriggerJob = z.infer<typeof GitHubTriggerJob>;

export type GitHubTriggerHandler = (job: GitHubTriggerJob) => Promise<void>;

/** How long a drainer may hold inbox entries before another takes them over (it died). */
const defaultStaleAfterMs = 30_000;
const drainBatch = 100;
/**
 * Deliveries handled at once per process. In the `all` role the jobs share the event loop with the
 * webhook answers; at 8, a burst of mention jobs (permission check, launch, 👀) kept the loop busy enough that
 * answers waited behind them (p99 284 ms at 100 mentions/s); at 2 the same load answered with p99
 * 18 ms and every mention still became an agent within the benchmark's wait.
 */
const defaultConcurrency = 2;
const drainBlockMs = 1_000;

/**
 * Accepted GitHub deliveries: `accept` (the webhook's answer waits for it) claims the delivery id
 * and appends the raw delivery to the store's inbox stream in one round trip; a drainer in each
 * process that `start`s moves inbox entries to a BullMQ queue in batches (job id `gh-<delivery>`:
 * a delivery is one job, so moving an entry twice after a crash is harmless), whose worker runs them.
 */
export class GitHubTriggerQueue {
  private readonly queue: Queue;
  private readonly inbox: RedisGitHubInbox;
  private worker: Worker | null = null;
  private reader: Redis | null = null;
  private draining: Promise<void> | null = null;
  private closing = false;

  constructor(
    private readonly connection: Redis,
    private readonly prefix: string,
    /** `concurrency`: deliveries handled at once in this process (default 2). */
    private readonly options: { attempts?: number; backoffMs?: number; concurrency?: number; staleAfterMs?: number } = {},
  ) {
    this.queue = new Queue(githubTriggerQueueName, {
      connection,
      prefix,
      defaultJobOptions: {
        attempts: options.attempts ?? 5,
        backoff: { type: 'exponential', delay: options.backoffMs ?? 2_000 },
        removeOnComplete: { age: 86_400, count: 10_000 },
        removeOnFail: { age: 7 * 86_400 },
      },
    });
    this.inbox = new RedisGitHubInbox(connection, new Keys(`${prefix}:`));
  }

  /**
   * Takes a verified delivery (the raw body as signed): true once it is stored durably, false for a
   * delivery id seen before. One Redis round trip; parsing for the job happens when it is drained.
   */
  accept(delivery: { deliveryId: string; name: GitHubTriggerJob['name']; raw: string }): Promise<boolean> {
    return this.inbox.accept(delivery);
  }

  /** Starts handling deliveries in this process (the worker role, or `all`): drains the inbox and runs the jobs. */
  async start(handler: GitHubTriggerHandler, log: Log): Promise<void> {
    const worker = new Worker(githubTriggerQueueName, (job) => this.process(job, handler), {
      connection: this.connection, prefix: this.prefix, autorun: false, concurrency: this.options.concurrency ?? defaultConcurrency,
    });
    worker.on('error', (error) => log.error({ err: error }, 'github trigger worker error'));
    worker.on('failed', (job, error) => log.warn({ jobId: job?.id, attempts: job?.attemptsMade, err: error }, 'github delivery failed; retried unless out of attempts'));
    this.worker = worker;
    void worker.run();
    await worker.waitUntilReady();
    await this.inbox.prepare();
    this.reader = this.connection.duplicate();
    this.draining = this.drain(this.reader, `${process.pid}-${randomUUID()}`, log);
  }

  /** Stops draining and taking jobs (the ones in hand finish; the rest wait in Redis for any worker). */
  async stopWorker(): Promise<void> {
    this.closing = true;
    this.reader?.disconnect();
    await this.draining;
    await this.worker?.close();
    this.reader = null;
    this.draining = null;
    this.worker = null;
    this.closing = false;
  }

  async close(): Promise<void> {
    await this.stopWorker();
    await this.queue.close();
  }

  /** Inbox → queue, in batches, until closed; entries a dead drainer held are taken over. */
  private async drain(reader: Redis, consumer: string, log: Log): Promise<void> {
    const staleAfterMs = this.options.staleAfterMs ?? defaultStaleAfterMs;
    let staleCheckAt = 0;
    while (!this.closing) {
      try {
        if (Date.now() >= staleCheckAt) {
          staleCheckAt = Date.now() + staleAfterMs / 2;
          await this.moveToQueue(await this.inbox.claimStale(consumer, staleAfterMs, drainBatch), log);
        }
        await this.moveToQueue(await this.inbox.read(reader, consumer, drainBatch, drainBlockMs), log);
      } catch (error) {
        if (this.closing) return;
        log.warn({ err: error }, 'github inbox drain failed; retrying');
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
  }

  private async moveToQueue(deliveries: InboxDelivery[], log: Log): Promise<void> {
    if (deliveries.length === 0) return;
    const jobs = deliveries.flatMap((delivery) => {
      const parsed = GitHubTriggerJob.safeParse({ deliveryId: delivery.deliveryId, name: delivery.name, payload: parseJson(delivery.raw) });
      if (parsed.success) return [{ name: parsed.data.name, data: parsed.data, opts: { jobId: `gh-${parsed.data.deliveryId}` } }];
      // A payload without an installation (a repository that has not installed the app) lands here.
      log.warn({ delivery: delivery.deliveryId, issues: parsed.error.issues.slice(0, 3).map((i) => `${i.path.join('.')}: ${i.message}`) }, 'github delivery not understood; ignored');
      return [];
    });
    if (jobs.length > 0) await this.queue.addBulk(jobs);
    await this.inbox.done(deliveries.map((d) => d.entry));
  }

  private async process(job: Job, handler: GitHubTriggerHandler): Promise<void> {
    const parsed = GitHubTriggerJob.safeParse(job.data);
    if (!parsed.success) throw new UnrecoverableError(`invalid github trigger job: ${z.prettifyError(parsed.error)}`);
    await handler(parsed.data);
  }
}

function parseJson(raw: string): unknown {
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return null;
  }
}
