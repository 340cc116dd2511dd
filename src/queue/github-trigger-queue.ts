import { Queue, UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { Log } from '../core/index.js';

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

/** BullMQ queue of accepted GitHub deliveries (job id `gh-<delivery>`: a delivery is one job). */
export class GitHubTriggerQueue {
  private readonly queue: Queue;
  private worker: Worker | null = null;

  constructor(
    private readonly connection: Redis,
    private readonly prefix: string,
    private readonly options: { attempts?: number; backoffMs?: number; concurrency?: number } = {},
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
  }

  async enqueue(job: GitHubTriggerJob): Promise<void> {
    const data = GitHubTriggerJob.parse(job);
    await this.queue.add(data.name, data, { jobId: `gh-${data.deliveryId}` });
  }

  /** Starts handling deliveries (the web role, where the GitHub App lives). */
  async start(handler: GitHubTriggerHandler, log: Log): Promise<void> {
    const worker = new Worker(githubTriggerQueueName, (job) => this.process(job, handler), {
      connection: this.connection, prefix: this.prefix, autorun: false, concurrency: this.options.concurrency ?? 8,
    });
    worker.on('error', (error) => log.error({ err: error }, 'github trigger worker error'));
    worker.on('failed', (job, error) => log.warn({ jobId: job?.id, attempts: job?.attemptsMade, err: error }, 'github delivery failed; retried unless out of attempts'));
    this.worker = worker;
    void worker.run();
    await worker.waitUntilReady();
  }

  async close(): Promise<void> {
    await this.worker?.close();
    await this.queue.close();
  }

  private async process(job: Job, handler: GitHubTriggerHandler): Promise<void> {
    const parsed = GitHubTriggerJob.safeParse(job.data);
    if (!parsed.success) throw new UnrecoverableError(`invalid github trigger job: ${z.prettifyError(parsed.error)}`);
    await handler(parsed.data);
  }
}
