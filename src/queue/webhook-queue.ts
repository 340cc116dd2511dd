import { Queue, UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { PermanentFailure, type Log } from '../core/index.js';
import { forgetJobs } from './forget-jobs.js';

export const webhookQueueName = 'errand-webhooks';

/** One delivery: ids only; the agent, URL and secret are read when it is sent. */
export const WebhookJob = z
  .object({
    agentId: z.string().min(1),
    eventId: z.string().regex(/^\d+-\d+$/),
    status: z.enum(['finished', 'failed', 'stopped']),
  })
  .strict();
export type WebhookJob = z.infer<typeof WebhookJob>;

/** Sends one delivery; throws to retry, throws PermanentFailure to give up. */
export type WebhookHandler = (job: WebhookJob, meta: { jobId: string; attempt: number }) => Promise<void>;

export interface WebhookQueueOptions {
  /** Tries per delivery (default 8: about 20 minutes of retries with the default back-off). */
  attempts?: number;
  /** First retry delay; each retry doubles it (default 5 s). */
  backoffMs?: number;
}

/**
 * Signed `statusChange` webhooks travel through this BullMQ queue: a delivery survives a restart,
 * is retried with exponential back-off, and is enqueued under a job id made of the agent and event
 * ids (`wh-<agent>-<event>`), so each status change is delivered once and `forget` finds them.
 */
export class WebhookQueue {
  readonly queue: Queue;
  private worker: Worker | null = null;
  private readonly attempts: number;

  constructor(
    private readonly connection: Redis,
    private readonly prefix: string,
    options: WebhookQueueOptions = {},
  ) {
    this.attempts = options.attempts ?? 8;
    this.queue = new Queue(webhookQueueName, {
      connection,
      prefix,
      defaultJobOptions: {
        attempts: this.attempts,
        backoff: { type: 'exponential', delay: options.backoffMs ?? 5_000 },
        removeOnComplete: { age: 7 * 86_400, count: 10_000 },
        removeOnFail: { age: 7 * 86_400 },
      },
    });
  }

  async enqueue(job: WebhookJob): Promise<void> {
    const data = WebhookJob.parse(job);
    await this.queue.add('statusChange', data, { jobId: `wh-${data.agentId}-${data.eventId}` });
  }

  /** Starts delivering with `handler` (the web role). */
  async start(handler: WebhookHandler, log: Log): Promise<void> {
    const worker = new Worker(webhookQueueName, (job) => this.process(job, handler), { connection: this.connection, prefix: this.prefix, autorun: false, concurrency: 4 });
    worker.on('error', (error) => log.error({ err: error }, 'webhook worker error'));
    worker.on('failed', (job, error) => {
      const final = job !== undefined && job.attemptsMade >= (job.opts.attempts ?? this.attempts);
      const details = { jobId: job?.id, agentId: (job?.data as Partial<WebhookJob> | undefined)?.agentId, attempts: job?.attemptsMade, err: error };
      if (final || error instanceof UnrecoverableError) log.error(details, 'webhook delivery gave up');
      else log.warn(details, 'webhook delivery failed; will retry');
    });
    this.worker = worker;
    void worker.run();
    await worker.waitUntilReady();
  }

  /** The agent's deliveries that are not being sent right now. */
  async forget(agentId: string): Promise<void> {
    await forgetJobs(this.connection, this.queue, `wh-${agentId}-`);
  }

  async close(): Promise<void> {
    await this.worker?.close();
    await this.queue.close();
  }

  private async process(job: Job, handler: WebhookHandler): Promise<void> {
    const parsed = WebhookJob.safeParse(job.data);
    if (!parsed.success) throw new UnrecoverableError(`invalid webhook job: ${z.prettifyError(parsed.error)}`);
    try {
      await handler(parsed.data, { jobId: String(job.id), attempt: job.attemptsMade + 1 });
    } catch (error) {
      // The core's "do not retry" becomes BullMQ's: the sender knows no queue type.
      if (error instanceof PermanentFailure) throw new UnrecoverableError(error.message);
      throw error;
    }
  }
}
