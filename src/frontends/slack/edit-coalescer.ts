import type { Log } from '../../core/index.js';

export interface EditCoalescerDeps {
  /** 0 when this process may edit the message now, else ms until the shared window closes (SlackState.claimEditWindow). */
  claim(agentId: string, field: string, ms: number): Promise<number>;
  /** Restarts the window once an edit is done (SlackState.holdEditWindow): gaps are measured from the end of an edit. */
  hold(agentId: string, field: string, ms: number): Promise<void>;
  /** At most one edit per message per this many ms (Slack's chat.update limit is about 1/s per message). */
  gapMs: number;
  log: Log;
}

/** An edit that renders the message as it is when it runs, so a late send shows the latest state. */
export type Edit = () => Promise<void>;

const maxFailures = 5;

/**
 * Keeps a message's edits to one per window across every process: an edit asked for while the
 * window is shut is not dropped but kept (the latest one replaces any earlier one still waiting)
 * and sent once the window opens. The edit renders from the agent as it is then, so the last
 * wanted state is always what lands.
 */
export class EditCoalescer {
  private readonly waiting = new Map<string, { edit: Edit; timer: NodeJS.Timeout; failures: number }>();
  private closed = false;

  constructor(private readonly deps: EditCoalescerDeps) {}

  /** Edits now if the window is open (errors reach the caller); otherwise keeps the edit for later. */
  async submit(agentId: string, field: string, edit: Edit): Promise<'sent' | 'deferred'> {
    const key = `${agentId}|${field}`;
    const held = this.waiting.get(key);
    if (held) {
      held.edit = edit;
      return 'deferred';
    }
    const wait = await this.deps.claim(agentId, field, this.deps.gapMs);
    if (wait === 0) {
      try {
        await edit();
      } finally {
        await this.deps.hold(agentId, field, this.deps.gapMs);
      }
      return 'sent';
    }
    this.hold(agentId, field, edit, wait, 0);
    return 'deferred';
  }

  /** Edits still waiting for their window (tests, shutdown logs). */
  get pending(): number {
    return this.waiting.size;
  }

  /** Sends what is waiting without waiting for the windows (shutdown: the final state must land). */
  async flush(): Promise<void> {
    this.closed = true;
    const held = [...this.waiting.values()];
    for (const entry of held) clearTimeout(entry.timer);
    this.waiting.clear();
    for (const entry of held) {
      await entry.edit().catch((error: unknown) => this.deps.log.warn({ err: error }, 'slack edit at shutdown failed'));
    }
  }

  private hold(agentId: string, field: string, edit: Edit, waitMs: number, failures: number): void {
    if (this.closed) return;
    const key = `${agentId}|${field}`;
    const timer = setTimeout(() => void this.fire(agentId, field), waitMs);
    timer.unref();
    this.waiting.set(key, { edit, timer, failures });
  }

  private async fire(agentId: string, field: string): Promise<void> {
    const key = `${agentId}|${field}`;
    const entry = this.waiting.get(key);
    if (!entry) return;
    let wait: number;
    try {
      wait = await this.deps.claim(agentId, field, this.deps.gapMs);
    } catch (error) {
      this.deps.log.warn({ err: error, agentId }, 'could not open a slack edit window; trying again');
      wait = this.deps.gapMs;
    }
    // Another process edited meanwhile: wait for its window, still holding the latest edit.
    if (wait > 0) {
      this.waiting.delete(key);
      this.hold(agentId, field, entry.edit, wait, entry.failures);
      return;
    }
    this.waiting.delete(key);
    try {
      try {
        await entry.edit();
      } finally {
        await this.deps.hold(agentId, field, this.deps.gapMs);
      }
    } catch (error) {
      const failures = entry.failures + 1;
      if (failures >= maxFailures) {
        this.deps.log.warn({ err: error, agentId, failures }, 'slack edit failed; giving up on this one');
        return;
      }
      this.deps.log.warn({ err: error, agentId, failures }, 'slack edit failed; trying again');
      // A newer edit asked for while this one ran wins; else this one goes again.
      const newer = this.waiting.get(key);
      if (newer) return;
      this.hold(agentId, field, entry.edit, this.deps.gapMs, failures);
    }
  }
}
