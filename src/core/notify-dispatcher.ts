import { conversationKey, type Conversation } from './conversation.js';
import type { StoredEvent } from './events.js';
import type { EventBell, Leases, Notifier, NotifyCursors } from './ports/notifier.js';
import type { Log } from './ports/runtime.js';
import type { AgentStore, EventLog, SettingsStore } from './ports/store.js';
import { viewFor } from './visibility.js';

export interface NotifyDispatcherDeps {
  agents: AgentStore;
  events: EventLog;
  settings: SettingsStore;
  cursors: NotifyCursors;
  leases: Leases;
  bell: EventBell;
  notifiers: Notifier[];
  log: Log;
  /** At most one batch per agent per interval: keeps chat messages under their rate limits. */
  intervalMs?: number;
  /** How often to look for agents whose bell nobody heard (a process restarted, say). */
  sweepMs?: number;
}

const leaseMs = 30_000;

/**
 * Follows agents' event logs and hands new events to the notifier of each conversation. Any number
 * of processes may run one: a lease per agent makes one of them render at a time, and cursors per
 * conversation make a restart resume where it stopped, so nothing is posted twice or lost.
 */
/** How long `close` waits for batches in flight. */
const closeWaitMs = 5_000;

export class NotifyDispatcher {
  private readonly pending = new Set<string>();
  private readonly active = new Set<string>();
  private unsubscribe: (() => Promise<void>) | null = null;
  private sweepTimer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(private readonly deps: NotifyDispatcherDeps) {}

  async start(): Promise<void> {
    this.unsubscribe = await this.deps.bell.onRing((agentId) => this.kick(agentId));
    const sweepMs = this.deps.sweepMs ?? 15_000;
    this.sweepTimer = setInterval(() => void this.sweep(), sweepMs);
    this.sweepTimer.unref();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    await this.unsubscribe?.();
    // Let batches in flight finish so their cursors are saved; not for ever: with Redis unreachable
    // they wait for it, and a restart re-reads from the saved cursors anyway.
    const deadline = Date.now() + closeWaitMs;
    while (this.active.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  }

  /** Schedules a dispatch for the agent; calls while one runs are folded into it. */
  kick(agentId: string): void {
    if (this.closed) return;
    this.pending.add(agentId);
    if (!this.active.has(agentId)) void this.run(agentId);
  }

  /** Active agents get a dispatch even if their bell was missed. */
  private async sweep(): Promise<void> {
    try {
      const page = await this.deps.agents.list({ status: ['queued', 'preparing', 'running'], limit: 500 });
      for (const agent of page.agents) this.kick(agent.id);
    } catch (error) {
      this.deps.log.warn({ err: error }, 'notification sweep failed');
    }
  }

  private async run(agentId: string): Promise<void> {
    this.active.add(agentId);
    const lease = `notify:${agentId}`;
    let token: string | null = null;
    try {
      token = await this.deps.leases.acquire(lease, leaseMs);
      // Another process holds the lease: it will see these events (it re-reads before releasing).
      if (!token) return;
      while (this.pending.has(agentId) && !this.closed) {
        this.pending.delete(agentId);
        const started = Date.now();
        await this.dispatch(agentId);
        if (!(await this.deps.leases.renew(lease, token, leaseMs))) return;
        const wait = (this.deps.intervalMs ?? 1_000) - (Date.now() - started);
        if (this.pending.has(agentId) && wait > 0) await new Promise((r) => setTimeout(r, wait));
      }
    } catch (error) {
      this.deps.log.warn({ err: error, agentId }, 'notification dispatch failed; will retry');
    } finally {
      if (token) await this.deps.leases.release(lease, token).catch(() => undefined);
      this.active.delete(agentId);
      // A bell that rang after our last read but that we could not serve: try again shortly.
      if (this.pending.has(agentId) && !this.closed) setTimeout(() => this.kick(agentId), 250).unref();
    }
  }

  private async dispatch(agentId: string): Promise<void> {
    const listed = await this.deps.agents.get(agentId);
    if (!listed) return;
    const batches: { conversation: Conversation; notifier: Notifier; key: string; events: StoredEvent[] }[] = [];
    for (const conversation of listed.conversations) {
      const notifier = this.deps.notifiers.find((n) => n.kind === conversation.kind);
      if (!notifier) continue;
      const key = conversationKey(conversation);
      const after = await this.deps.cursors.get(agentId, key);
      const events = await this.deps.events.read(agentId, after ? { after, limit: 500 } : { limit: 500 });
      if (events.length === 0) continue;
      batches.push({ conversation, notifier, key, events });
      if (events.length === 500) this.pending.add(agentId);
    }
    if (batches.length === 0) return;
    // Read the agent again after its events, so the record is at least as new as the last event
    // (a status message must never show an older state than the events it renders).
    const agent = (await this.deps.agents.get(agentId)) ?? listed;
    const settings = await this.deps.settings.get(agent.workspace);
    for (const { conversation, notifier, key, events } of batches) {
      try {
        await notifier.notify(agent, conversation, events, viewFor(agent, conversation, settings));
        await this.deps.cursors.set(agentId, key, events[events.length - 1]!.id);
      } catch (error) {
        this.deps.log.warn({ err: error, agentId, conversation: key }, 'notifier failed; events will be offered again');
        this.pending.add(agentId);
      }
    }
  }
}
