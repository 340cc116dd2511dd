import type { AgentService } from './agent-service.js';
import { isErrandError } from './errors.js';
import type { Clock, Log } from './ports/runtime.js';
import type { AgentStore } from './ports/store.js';

export interface RetentionDeps {
  agents: AgentStore;
  service: AgentService;
  clock: Clock;
  log: Log;
}

/**
 * Marks agents whose retention has passed as `expired` and forgets all but their record (the
 * same `forget` as DELETE: container, jobs, transcript, history, front-end state). Their records
 * then live one more day (so `expired` can be seen) and go with their TTL.
 */
export class RetentionSweeper {
  constructor(private readonly deps: RetentionDeps) {}

  async sweep(): Promise<string[]> {
    const now = this.deps.clock.now().getTime();
    const expired: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.deps.agents.list({ status: ['queued', 'preparing', 'running', 'finished', 'failed', 'stopped'], limit: 200, ...(cursor ? { cursor } : {}) });
      for (const agent of page.agents) {
        if (Date.parse(agent.expiresAt) > now) continue;
        try {
          const updated = await this.deps.service.transition(agent.id, 'expired', { message: 'retention period over' });
          await this.deps.service.forgetter.forget(updated, { keepRecord: true });
          expired.push(agent.id);
        } catch (error) {
          if (!isErrandError(error, 'invalid_transition')) this.deps.log.warn({ err: error, agentId: agent.id }, 'could not expire agent');
        }
      }
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    if (expired.length) this.deps.log.info({ count: expired.length }, 'agents expired');
    return expired;
  }
}
