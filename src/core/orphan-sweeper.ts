import type { AgentService } from './agent-service.js';
import { isErrandError } from './errors.js';
import type { RunQueue } from './ports/queue.js';
import type { RunLeases } from './ports/run-lease.js';
import type { Clock, Log } from './ports/runtime.js';
import type { AgentStore } from './ports/store.js';

export interface OrphanSweepDeps {
  agents: AgentStore;
  service: AgentService;
  runLeases: RunLeases;
  queue: RunQueue;
  clock: Clock;
  log: Log;
  /** How long an agent may look orphaned before it fails: longer than a takeover takes. */
  graceMs: number;
}

export const orphanSummary = 'The agent failed: its worker stopped and no worker could resume the run.';

/**
 * The safety net behind takeovers. An agent `preparing` or `running` that no live worker holds a
 * lease on and that has no job left in the queue (BullMQ gives up on a job that keeps losing its
 * worker) would otherwise stay so forever. Seen so for `graceMs`, it fails with a clear message,
 * and a salvage job lets a worker push what its container holds.
 */
export class OrphanSweeper {
  private readonly suspects = new Map<string, number>();

  constructor(private readonly deps: OrphanSweepDeps) {}

  async sweep(): Promise<string[]> {
    const { agents, service, runLeases, queue, clock, log, graceMs } = this.deps;
    const now = clock.now().getTime();
    const active = await agents.list({ status: ['preparing', 'running'], limit: 1000 });
    const pending = await queue.pendingAgents();
    const seen = new Set<string>();
    const failed: string[] = [];
    for (const agent of active.agents) {
      if (pending.has(agent.id) || (await runLeases.held(agent.id))) continue;
      seen.add(agent.id);
      const since = this.suspects.get(agent.id) ?? now;
      this.suspects.set(agent.id, since);
      if (now - since < graceMs) continue;
      try {
        await service.transition(agent.id, 'failed', {
          message: 'its worker stopped and no worker could resume it',
          patch: { summary: orphanSummary, error: { code: 'unavailable', message: 'the worker running this agent stopped, and the run could not be resumed' } },
        });
        await queue.enqueue('salvage', agent.id);
        failed.push(agent.id);
        log.warn({ agentId: agent.id }, 'agent failed: its worker stopped and nobody took it over');
      } catch (error) {
        if (!isErrandError(error, 'invalid_transition')) throw error;
      }
      this.suspects.delete(agent.id);
    }
    for (const id of [...this.suspects.keys()]) if (!seen.has(id)) this.suspects.delete(id);
    return failed;
  }
}
