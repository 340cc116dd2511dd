import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { RunJobKind, RunQueue } from '../core/index.js';
import { forgetJobs } from './forget-jobs.js';
import { jobs, type JobName } from './jobs.js';

export const defaultQueueName = 'errand-runs';

/** The queue only the workers of one host take jobs from (BullMQ names allow no colon). */
export function hostQueueName(name: string, host: string): string {
  return `${name}-host-${host.replace(/[^A-Za-z0-9_.-]/g, '_')}`;
}

/** Where a resume goes: the host whose Docker engine holds the agent's machine, while it has a live worker. */
export interface MachineRouting {
  /** The host to run the agent's next job on, or null for any worker. */
  hostFor(agentId: string): Promise<string | null>;
  /** Every host that may have a queue of its own. */
  hosts(): Promise<string[]>;
}

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
  private readonly hostQueues = new Map<string, Queue>();
  private routing: MachineRouting | null = null;

  constructor(
    private readonly connection: Redis,
    private readonly name = defaultQueueName,
    private readonly prefix?: string,
  ) {
    this.queue = new Queue(name, { connection, ...(prefix ? { prefix } : {}), defaultJobOptions: jobOptions });
  }

  /**
   * Routes resumes and salvages to the queue of the host that holds the agent's machine. A first
   * run goes to the shared queue: any worker may create the machine.
   */
  routeBy(routing: MachineRouting): void {
    this.routing = routing;
  }

  /** The queue of one host's workers. */
  hostQueue(host: string): Queue {
    let queue = this.hostQueues.get(host);
    if (!queue) {
      queue = new Queue(hostQueueName(this.name, host), { connection: this.connection, ...(this.prefix ? { prefix: this.prefix } : {}), defaultJobOptions: jobOptions });
      this.hostQueues.set(host, queue);
    }
    return queue;
  }

  async enqueue(kind: RunJobKind, agentId: string): Promise<void> {
    const payload = jobs[kind as JobName].parse({ agentId });
    const jobId = kind === 'run' ? agentId : `${agentId}-${kind}-${Date.now().toString(36)}`;
    const host = kind === 'run' ? null : await this.routing?.hostFor(agentId);
    await (host ? this.hostQueue(host) : this.queue).add(kind, payload, { jobId });
  }

  /** Moves the jobs waiting on a host's queue to the shared queue (its worker is gone); returns how many. */
  async moveHostJobs(host: string): Promise<number> {
    const queue = this.hostQueue(host);
    let moved = 0;
    for (const job of await queue.getJobs(['waiting', 'delayed', 'prioritized'])) {
      if (!job?.id) continue;
      await this.queue.add(job.name, job.data, { jobId: job.id });
      await job.remove().catch(() => undefined);
      moved++;
    }
    return moved;
  }

  /** The shared queue and every host's queue. */
  private async allQueues(): Promise<Queue[]> {
    for (const host of (await this.routing?.hosts()) ?? []) this.hostQueue(host);
    return [this.queue, ...this.hostQueues.values()];
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
    const pending = new Set<string>();
    for (const queue of await this.allQueues()) {
      for (const job of await queue.getJobs(['waiting', 'delayed', 'prioritized', 'active'])) {
        if (typeof job?.data?.agentId === 'string') pending.add(job.data.agentId as string);
      }
    }
    return pending;
  }

  /** The agent's run job (id = agent id) and resume jobs (`<id>-resume-…`), unless running. */
  async forget(agentId: string): Promise<void> {
    for (const queue of await this.allQueues()) await forgetJobs(this.connection, queue, agentId);
  }

  async close(): Promise<void> {
    await Promise.all([this.queue, ...this.hostQueues.values()].map((queue) => queue.close()));
  }
}
