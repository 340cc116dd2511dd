import type { Agent } from './agent.js';
import type { RunQueue } from './ports/queue.js';
import type { Clock, Log } from './ports/runtime.js';
import type { ContainerRemover } from './ports/sandbox.js';
import type { AgentKeys } from './ports/store.js';

export interface ForgetDeps {
  agentKeys: AgentKeys;
  /** Queues holding the agent's jobs (the run queue; the webhook queue when the API runs). */
  queues: Pick<RunQueue, 'forget'>[];
  containers: ContainerRemover;
  log: Log;
  clock?: Clock;
}

/**
 * The one way Errand lets go of an agent, used by DELETE (everything) and by expiry (everything
 * but the record, which goes with its TTL): the container, the queue jobs, then every key.
 * A part that fails is logged and the rest still goes; the reaper and TTLs catch what is left.
 */
export class Forgetter {
  constructor(private deps: ForgetDeps) {}

  /** The sandbox of this process, once a worker has one (a `web` process signals workers instead). */
  useContainers(containers: ContainerRemover): void {
    this.deps = { ...this.deps, containers };
  }

  addQueue(queue: Pick<RunQueue, 'forget'>): void {
    this.deps = { ...this.deps, queues: [...this.deps.queues, queue] };
  }

  async forget(agent: Agent, options: { keepRecord?: boolean } = {}): Promise<void> {
    const { log } = this.deps;
    const step = async (part: string, work: () => Promise<void>) => {
      try {
        await work();
      } catch (error) {
        log.warn({ err: error, agentId: agent.id, part }, 'could not forget part of an agent');
      }
    };
    await step('container', () => this.deps.containers.remove(agent.id));
    for (const queue of this.deps.queues) await step('queue', () => queue.forget(agent.id));
    await this.deps.agentKeys.forget(agent, options);
  }
}
