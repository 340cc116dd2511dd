import { Queue, type ConnectionOptions } from 'bullmq';
import type { RunJobKind, RunQueue } from '../core/index.js';
import { jobs, type JobName } from './jobs.js';

export const defaultQueueName = 'errand-runs';

/** Retries cover passing trouble (Docker or Redis restarting); bad payloads fail at once. */
export const jobOptions = {
  attempts: 3,
  backoff: { type: 'exponential', delay: 5_000 },
  removeOnComplete: { age: 86_400, count: 1_000 },
  removeOnFail: { age: 7 * 86_400 },
} as const;

/**
 * A run's job id is the agent id, so enqueuing one agent twice runs it once. A resume gets its own
 * id: the agent's status change (settled → queued, compare-and-set in the store) already makes it
 * unique, and the run job of the same agent may still be finishing.
 */
export class BullRunQueue implements RunQueue {
  readonly queue: Queue;

  constructor(connection: ConnectionOptions, name = defaultQueueName, prefix?: string) {
    this.queue = new Queue(name, { connection, ...(prefix ? { prefix } : {}), defaultJobOptions: jobOptions });
  }

  async enqueue(kind: RunJobKind, agentId: string): Promise<void> {
    const payload = jobs[kind as JobName].parse({ agentId });
    const jobId = kind === 'run' ? agentId : `${agentId}-${kind}-${Date.now().toString(36)}`;
    await this.queue.add(kind, payload, { jobId });
  }

  async cancel(agentId: string): Promise<boolean> {
    const job = await this.queue.getJob(agentId);
    if (!job) return false;
    const state = await job.getState();
    if (state !== 'waiting' && state !== 'delayed' && state !== 'prioritized') return false;
    await job.remove();
    return true;
  }

  waiting(): Promise<number> {
    return this.queue.getWaitingCount();
  }

  async pendingAgents(): Promise<Set<string>> {
    const jobs = await this.queue.getJobs(['waiting', 'delayed', 'prioritized', 'active']);
    return new Set(jobs.flatMap((job) => (typeof job?.data?.agentId === 'string' ? [job.data.agentId as string] : [])));
  }

  close(): Promise<void> {
    return this.queue.close();
  }
}
