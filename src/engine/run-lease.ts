import type { Log, RunLeases } from '../core/index.js';

/** How long a run lease lives without renewal; the holder renews it every third of that. */
export const defaultLeaseMs = 30_000;
/** The first wait for a held lease; each later one doubles, up to a tenth of the lease's life. */
const firstRetryMs = 20;

/**
 * The lease a worker holds on an agent while it runs it: renewed in the background until
 * released, so it lapses within `ttlMs` of the process dying.
 */
export class HeldRunLease {
  private readonly timer: NodeJS.Timeout;
  private released = false;

  private constructor(
    private readonly leases: RunLeases,
    private readonly agentId: string,
    private readonly token: string,
    private readonly ttlMs: number,
    private readonly log: Log,
  ) {
    this.timer = setInterval(() => void this.renew(), Math.max(100, Math.floor(ttlMs / 3)));
    this.timer.unref();
  }

  /**
   * Takes the agent's lease, waiting up to one lease lifetime for a holder that may have died (a
   * crashed worker's lease lapses within `ttlMs`; a live one keeps renewing). Null when a live
   * worker still holds it after that. The first tries come quickly: most often the holder is the
   * agent's last run, settled a moment ago and about to release it (a follow-up right after the end).
   */
  static async take(leases: RunLeases, agentId: string, ttlMs: number, log: Log, signal?: AbortSignal): Promise<HeldRunLease | null> {
    const deadline = Date.now() + ttlMs + Math.min(ttlMs, 5_000);
    const poll = Math.max(50, Math.floor(ttlMs / 10));
    for (let wait = firstRetryMs; ; wait = Math.min(poll, wait * 2)) {
      const token = await leases.acquire(agentId, ttlMs);
      if (token) return new HeldRunLease(leases, agentId, token, ttlMs, log);
      if (Date.now() >= deadline || signal?.aborted) return null;
      await new Promise((resolve) => setTimeout(resolve, Math.min(wait, poll)));
    }
  }

  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    clearInterval(this.timer);
    await this.leases.release(this.agentId, this.token).catch((error: unknown) => this.log.warn({ err: error, agentId: this.agentId }, 'could not release the run lease'));
  }

  private async renew(): Promise<void> {
    if (this.released) return;
    try {
      if (!(await this.leases.renew(this.agentId, this.token, this.ttlMs))) {
        this.log.warn({ agentId: this.agentId }, 'run lease lost; another worker may take the agent over');
      }
    } catch (error) {
      // Redis is away: the next renewal tries again; the lease lapses only if Redis stays away.
      this.log.warn({ err: error, agentId: this.agentId }, 'could not renew the run lease');
    }
  }
}
