import { Queue, UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { Log } from '../core/index.js';

export const slackTriggerQueueName = 'errand-slack-triggers';

const id = z.string().min(1).max(200);

/** `/agent <prompt>`: refusals and answers go back through the command's response_url. */
export const SlackCommandTrigger = z
  .object({
    kind: z.literal('command'),
    /** Slack's trigger_id: one per invocation, so one job per command. */
    triggerId: id,
    teamId: id,
    channelId: id,
    userId: id,
    userName: z.string().max(200).optional(),
    text: z.string().max(40_000),
    /** Per command and short-lived (30 minutes, five answers); never logged. */
    responseUrl: z.url({ protocol: /^https?$/ }),
  })
  .strict();

/** `@errand …` (`mention`) or a reply in a thread (`reply`): answered where they were written. */
export const SlackMessageTrigger = z
  .object({
    kind: z.enum(['mention', 'reply']),
    eventId: id,
    teamId: id,
    channelId: id,
    userId: id,
    text: z.string().max(40_000),
    ts: id,
    threadTs: id.optional(),
    /** The envelope's `is_ext_shared_channel`. */
    external: z.boolean(),
  })
  .strict();

/**
 * One accepted Slack request, after Bolt's signature check: everything else (users.info, channel
 * state, settings, launch checks, the root message, the launch) happens when the job runs. Ids and
 * text only: no token or signing data (the Events API envelope's `token` is left behind).
 */
export const SlackTriggerJob = z.discriminatedUnion('kind', [SlackCommandTrigger, SlackMessageTrigger]);
export type SlackTriggerJob = z.infer<typeof SlackTriggerJob>;

/** What identifies a request across Slack's retries: its trigger id or event id. */
export function slackTriggerKey(job: SlackTriggerJob): string {
  const raw = job.kind === 'command' ? `cmd-${job.triggerId}` : `ev-${job.eventId}`;
  // BullMQ job ids may not hold `:`.
  return raw.replace(/[^A-Za-z0-9._-]/g, '_');
}

export interface SlackTriggerMeta {
  /** 1 for the first run. */
  attempt: number;
  /** No retry follows if this run throws: tell the person. */
  final: boolean;
}

export type SlackTriggerHandler = (job: SlackTriggerJob, meta: SlackTriggerMeta) => Promise<void>;

export interface SlackTriggerQueueOptions {
  /** Runs per request before giving up (default 5). */
  attempts?: number;
  /** First retry delay; each retry doubles it (default 1 s). */
  backoffMs?: number;
  /**
   * Jobs run at once in this process (default 2, as GitHub's trigger worker). In the `all` role the
   * answers to new requests share the process: fewer jobs at once keep them fast under a burst, and
   * the rest wait in Redis.
   */
  concurrency?: number;
  /** How long a request key is remembered, so a retry by Slack adds nothing (default a day). */
  dedupTtlMs?: number;
}

/**
 * BullMQ queue of accepted Slack requests. `enqueue` is the whole acknowledgement path: one Redis
 * script adds the job and claims its key (BullMQ de-duplication with a TTL, kept after the job is
 * done), so a retry or duplicate delivery adds nothing, and a job added is never lost — if the
 * process dies after the answer, any worker runs it. Retried with back-off on transient
 * errors; the handler decides what is a refusal (told to the person, not retried).
 */
export class SlackTriggerQueue {
  private readonly queue: Queue;
  private worker: Worker | null = null;
  private readonly attempts: number;

  constructor(
    private readonly connection: Redis,
    private readonly prefix: string,
    private readonly options: SlackTriggerQueueOptions = {},
  ) {
    this.attempts = options.attempts ?? 5;
    this.queue = new Queue(slackTriggerQueueName, {
      connection,
      prefix,
      defaultJobOptions: {
        attempts: this.attempts,
        backoff: { type: 'exponential', delay: options.backoffMs ?? 1_000 },
        removeOnComplete: { age: 3_600, count: 10_000 },
        removeOnFail: { age: 7 * 86_400 },
      },
    });
  }

  /** Adds the request unless its key was seen within the TTL (then nothing happens). */
  async enqueue(job: SlackTriggerJob): Promise<void> {
    const data = SlackTriggerJob.parse(job);
    const jobId = `slack-${slackTriggerKey(data)}`;
    await this.queue.add(data.kind, data, { jobId, deduplication: { id: jobId, ttl: this.options.dedupTtlMs ?? 86_400_000 } });
  }

  /** Requests not yet finished: waiting for a worker, running, or waiting for a retry. */
  async counts(): Promise<{ waiting: number; active: number; delayed: number }> {
    const counts = await this.queue.getJobCounts('waiting', 'active', 'delayed');
    return { waiting: counts['waiting'] ?? 0, active: counts['active'] ?? 0, delayed: counts['delayed'] ?? 0 };
  }

  /** The requests waiting for a worker (oldest first, at most `limit`). */
  async waitingJobs(limit = 100): Promise<SlackTriggerJob[]> {
    const jobs = await this.queue.getWaiting(0, limit - 1);
    return jobs.reverse().map((job) => SlackTriggerJob.parse(job.data));
  }

  /** Opens the queue's Redis connection now, so the first acknowledgement does not wait for it. */
  async warm(): Promise<void> {
    await this.queue.waitUntilReady();
  }

  /** Starts running requests in this process (the worker role, or `all`). */
  async start(handler: SlackTriggerHandler, log: Log): Promise<void> {
    const worker = new Worker(slackTriggerQueueName, (job) => this.process(job, handler), {
      connection: this.connection, prefix: this.prefix, autorun: false, concurrency: this.options.concurrency ?? 2,
    });
    worker.on('error', (error) => log.error({ err: error }, 'slack trigger worker error'));
    worker.on('failed', (job, error) => log.warn({ jobId: job?.id, attempts: job?.attemptsMade, err: error }, 'slack request failed; retried unless out of attempts'));
    this.worker = worker;
    void worker.run();
    await worker.waitUntilReady();
  }

  /** Stops taking jobs (the one in hand finishes; the rest wait in Redis for any process). */
  async stopWorker(): Promise<void> {
    await this.worker?.close();
    this.worker = null;
  }

  async close(): Promise<void> {
    await this.stopWorker();
    await this.queue.close();
  }

  private async process(job: Job, handler: SlackTriggerHandler): Promise<void> {
    const parsed = SlackTriggerJob.safeParse(job.data);
    if (!parsed.success) throw new UnrecoverableError(`invalid slack trigger job: ${z.prettifyError(parsed.error)}`);
    const attempt = job.attemptsMade + 1;
    await handler(parsed.data, { attempt, final: attempt >= (job.opts.attempts ?? this.attempts) });
  }
}
