import { DelayedError, UnrecoverableError, Worker, type ConnectionOptions, type Job } from 'bullmq';
import { PermanentFailure, type Log, type Metrics, type StopSignals } from '../core/index.js';
import { parseJob, type JobName, type JobPayload } from './jobs.js';
import { defaultQueueName, hostQueueName } from './run-queue.js';

export interface JobContext {
  jobId: string;
  attempt: number;
  /** Attempts the queue allows this job; on the last one a passing trouble is final. */
  maxAttempts: number;
  /** Aborts when someone stops the agent or the worker shuts down; the reason is a JobAbort. */
  signal: AbortSignal;
  log: Log;
}

/** Why a job's signal aborted: a person stopped the agent, or this worker is shutting down. */
export class JobAbort extends Error {
  constructor(readonly kind: 'stopped' | 'shutdown') {
    super(kind);
    this.name = 'JobAbort';
  }
}

/** The kind of abort behind a signal, or null if it has not aborted for one of ours. */
export function abortKind(signal: AbortSignal): JobAbort['kind'] | null {
  return signal.aborted && signal.reason instanceof JobAbort ? signal.reason.kind : null;
}

export type JobHandler = (name: JobName, payload: JobPayload<JobName>, context: JobContext) => Promise<void>;

export interface RunWorkerOptions {
  connection: ConnectionOptions;
  handler: JobHandler;
  stops: StopSignals;
  log: Log;
  concurrency: number;
  queueName?: string;
  prefix?: string;
  /** Concurrency limits: a refused run waits `admissionRetryMs` and asks again. */
  admission?: {
    admit(agentId: string): Promise<{ admitted: boolean }>;
    release(agentId: string): Promise<void>;
  };
  admissionRetryMs?: number;
  /**
   * How often BullMQ looks for jobs whose worker died (default 30 s). A job's lock lives twice
   * that, so a killed worker's job runs again within about three intervals.
   */
  stalledIntervalMs?: number;
  /** Queue wait and run duration. */
  metrics?: Metrics;
  /** This worker's host: it also takes the jobs routed to the host's own queue (resumes of its machines). */
  host?: string;
}

/**
 * Takes run jobs off the queue and hands them to the handler with an AbortSignal per agent.
 * Stop requests from any process abort the matching agent here.
 */
export class RunWorker {
  private readonly worker: Worker;
  /** The host queue's worker, when this worker has a host. */
  private readonly hostWorker: Worker | null;
  private readonly running = new Map<string, AbortController>();
  private unsubscribe: (() => Promise<void>) | null = null;

  constructor(private readonly options: RunWorkerOptions) {
    const { connection, concurrency, queueName = defaultQueueName, prefix, log } = options;
    const make = (name: string) => {
      const worker = new Worker(name, (job, token) => this.process(job, token), {
        connection,
        concurrency,
        autorun: false,
        ...(prefix ? { prefix } : {}),
        lockDuration: 2 * (options.stalledIntervalMs ?? 30_000),
        stalledInterval: options.stalledIntervalMs ?? 30_000,
        // A run that keeps killing its worker fails after this many takeovers instead of looping.
        maxStalledCount: 2,
      });
      worker.on('error', (error) => log.error({ err: error }, 'queue worker error'));
      worker.on('failed', (job, error) => log.warn({ jobId: job?.id, name: job?.name, attempts: job?.attemptsMade, err: error }, 'job failed'));
      return worker;
    };
    this.worker = make(queueName);
    this.hostWorker = options.host ? make(hostQueueName(queueName, options.host)) : null;
  }

  async start(): Promise<void> {
    this.unsubscribe = await this.options.stops.onStop((agentId) => this.abort(agentId, 'stopped'));
    for (const worker of this.workers()) {
      void worker.run();
      await worker.waitUntilReady();
    }
  }

  private workers(): Worker[] {
    return this.hostWorker ? [this.worker, this.hostWorker] : [this.worker];
  }

  /** Whether the worker takes jobs (for /readyz). */
  isRunning(): boolean {
    return this.workers().every((worker) => worker.isRunning());
  }

  /** Aborts the agent's job if this process runs it. */
  abort(agentId: string, kind: JobAbort['kind']): boolean {
    const controller = this.running.get(agentId);
    controller?.abort(new JobAbort(kind));
    return controller !== undefined;
  }

  /**
   * Stops taking jobs and interrupts running agents with a `shutdown` abort (the engine puts them
   * back in the queue, and another worker, or this one after a restart, resumes them), then waits
   * for their handlers to return. `force` does not wait.
   */
  async close(force = false): Promise<void> {
    for (const controller of this.running.values()) controller.abort(new JobAbort('shutdown'));
    await this.unsubscribe?.();
    await Promise.all(this.workers().map((worker) => worker.close(force)));
  }

  private async process(job: Job, token: string | undefined): Promise<void> {
    const log = this.options.log.child({ jobId: job.id, job: job.name });
    const parsed = parseJob(job.name, job.data);
    if (!parsed.ok) {
      log.error({ reason: parsed.reason }, 'malformed job: not retried');
      throw new UnrecoverableError(parsed.reason);
    }
    const { agentId } = parsed.payload;
    const { admission } = this.options;
    // Salvaging a stopped agent's work is not a run: it takes no slot.
    const admitted = parsed.name === 'salvage' ? null : admission;
    if (admitted && !(await admitted.admit(agentId)).admitted) {
      // Not a failure: the job goes back to wait, without using up an attempt.
      await job.moveToDelayed(Date.now() + (this.options.admissionRetryMs ?? 5_000), token);
      throw new DelayedError();
    }
    const controller = new AbortController();
    this.running.set(agentId, controller);
    const { metrics } = this.options;
    const started = Date.now();
    // Waited since it was added, or since its delay (a backoff, a refused admission) ran out.
    metrics?.queueWait((started - Math.max(job.timestamp + (job.delay ?? 0), job.timestamp)) / 1000);
    let outcome: 'completed' | 'failed' | 'requeued' = 'failed';
    try {
      await this.options.handler(parsed.name, parsed.payload, {
        jobId: job.id ?? agentId,
        attempt: job.attemptsMade + 1,
        maxAttempts: job.opts.attempts ?? 1,
        signal: controller.signal,
        log: log.child({ agentId }),
      });
      outcome = controller.signal.aborted && abortKind(controller.signal) === 'shutdown' ? 'requeued' : 'completed';
    } catch (error) {
      // The engine says "no retry" in core terms; BullMQ hears it as UnrecoverableError.
      if (error instanceof PermanentFailure) throw new UnrecoverableError(error.message);
      throw error;
    } finally {
      metrics?.runDuration(parsed.name, outcome, (Date.now() - started) / 1000);
      if (this.running.get(agentId) === controller) this.running.delete(agentId);
      await admitted?.release(agentId).catch((error: unknown) => log.warn({ err: error, agentId }, 'could not release run slot'));
    }
  }
}
