import type { Log } from '../../core/ports/runtime.js';
import type { PreparedFacts } from '../../core/ports/sandbox.js';

export interface WarmMachinesOptions {
  /** ERRAND_MACHINE_IDLE_SECONDS in ms: how long a machine stays running after its run ends. */
  graceMs: number;
  /** ERRAND_MACHINE_WARM_MAX: machines kept running idle at once on this worker; beyond it the oldest is stopped. */
  maxWarm: number;
  /** Stops the agent's machine (its container and sidecar). */
  stop: (agentId: string) => Promise<void>;
  /** Someone works in the machine (an `errand attach` or web terminal session): it gets another grace instead. */
  inUse?: (agentId: string) => Promise<boolean>;
  log: Log;
  now?: () => number;
}

/** The facts kept for a machine claimed while idle (still being read, or read). */
export interface KeptFacts {
  read: Promise<PreparedFacts | null>;
}

interface Idle {
  since: number;
  timer: NodeJS.Timeout;
  /** What the system prompt tells the agent, read once its run had changed the machine for the last time. */
  facts?: Promise<PreparedFacts | null>;
}

/**
 * Machines whose run ended but which stay running for a grace period, so a follow-up finds them as
 * they were (terminals, processes, files) instead of starting them again. Each has a timer that
 * stops it when the grace ends; a resume claims it first, which cancels the timer. At most
 * `maxWarm` are kept: the one idle longest is stopped first. A stop in flight is awaited by a
 * claim, so a resume never races the stop of its own machine. The repository facts read when the
 * run ended are kept with an idle machine and handed to the claim that finds it still idle; they
 * go with the entry (a stop, a claim, another grace because a person is in the machine).
 */
export class WarmMachines {
  private readonly idle = new Map<string, Idle>();
  private readonly stopping = new Map<string, Promise<void>>();
  private readonly now: () => number;

  constructor(private readonly options: WarmMachinesOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Whether machines are kept warm at all (a grace of 0 stops them at once). */
  get enabled(): boolean {
    return this.options.graceMs > 0 && this.options.maxWarm > 0;
  }

  /** The agents whose machines are idle and running, oldest first. */
  agents(): string[] {
    return [...this.idle.entries()].sort((a, b) => a[1].since - b[1].since).map(([agentId]) => agentId);
  }

  /**
   * The run ended (or, after a worker restart, ended `since` ms since the epoch): stop the machine
   * when the grace is over. Returns false when the machine must be stopped now instead.
   */
  keep(agentId: string, since = this.now()): boolean {
    if (!this.enabled) return false;
    this.forget(agentId);
    const left = since + this.options.graceMs - this.now();
    if (left <= 0) return false;
    const timer = setTimeout(() => void this.stopIdle(agentId, 'its idle grace ended'), left);
    timer.unref();
    this.idle.set(agentId, { since, timer });
    for (const oldest of this.agents().slice(0, Math.max(0, this.idle.size - this.options.maxWarm))) {
      void this.stopIdle(oldest, `more than ${this.options.maxWarm} machines were idle`);
    }
    return this.idle.has(agentId);
  }

  /** Keeps the facts read at the end of the machine's run, while it stays idle. */
  remember(agentId: string, facts: Promise<PreparedFacts | null>): void {
    const entry = this.idle.get(agentId);
    if (entry) entry.facts = facts;
  }

  /**
   * A run starts on the machine again: it is no longer idle. Waits for a stop already under way.
   * Returns the facts kept for it when it was still idle (untouched since its run ended), else null.
   */
  async claim(agentId: string): Promise<KeptFacts | null> {
    const facts = this.idle.get(agentId)?.facts;
    this.forget(agentId);
    await this.stopping.get(agentId);
    return facts ? { read: facts } : null;
  }

  /** Stops every idle machine's timer (worker shutdown): the next worker's sweep takes them over. */
  close(): void {
    for (const agentId of [...this.idle.keys()]) this.forget(agentId);
  }

  private forget(agentId: string): void {
    const entry = this.idle.get(agentId);
    if (entry) clearTimeout(entry.timer);
    this.idle.delete(agentId);
  }

  private async stopIdle(agentId: string, why: string): Promise<void> {
    const entry = this.idle.get(agentId);
    if (!entry) return;
    if (await this.options.inUse?.(agentId).catch(() => false)) {
      // Still idle and not claimed meanwhile: a person is in it, so it stays for another grace.
      if (this.idle.get(agentId) === entry) {
        this.keep(agentId);
        this.options.log.info({ agentId }, 'an idle machine is in use: kept for another grace');
      }
      return;
    }
    if (this.idle.get(agentId) !== entry) return; // claimed while we looked
    this.forget(agentId);
    const stop = this.options.stop(agentId).then(
      () => this.options.log.info({ agentId, why }, 'stopped an idle machine'),
      (error: unknown) => this.options.log.warn({ agentId, err: error }, 'could not stop an idle machine'),
    );
    this.stopping.set(agentId, stop);
    await stop;
    if (this.stopping.get(agentId) === stop) this.stopping.delete(agentId);
  }
}
