import { rm } from 'node:fs/promises';
import type { EgressGateway, Log } from '../core/index.js';
import { checkoutDir } from './host-checkout.js';

/**
 * What this worker keeps for agents whose machines stay warm after a run: the host checkout (a
 * follow-up reuses it instead of cloning) and the egress socket directory (the running sidecar has
 * it mounted). Both go when the machine is stopped at the end of its idle grace, unless a run of
 * the agent has started here meanwhile; a run that starts waits for such a clean-up in flight.
 */
export class WarmRuns {
  private readonly running = new Set<string>();
  private readonly dropping = new Map<string, Promise<void>>();

  constructor(private readonly options: { dataDir: string; egress?: EgressGateway | null | undefined; log: Log }) {}

  /** A run of the agent starts on this worker. */
  async begin(agentId: string): Promise<void> {
    this.running.add(agentId);
    await this.dropping.get(agentId);
  }

  end(agentId: string): void {
    this.running.delete(agentId);
  }

  /** The agent's idle machine was stopped: drops what was kept for it. */
  stopped(agentId: string): void {
    if (this.running.has(agentId) || this.dropping.has(agentId)) return;
    const dir = checkoutDir(this.options.dataDir, agentId);
    const drop = Promise.all([
      rm(dir, { recursive: true, force: true }),
      rm(`${dir}-deps`, { recursive: true, force: true }),
      this.options.egress?.close(agentId),
    ])
      .then(
        () => undefined,
        (error: unknown) => this.options.log.warn({ agentId, err: error }, 'could not remove what was kept for an idle machine'),
      )
      .finally(() => this.dropping.delete(agentId));
    this.dropping.set(agentId, drop);
  }
}
