import type { Agent } from '../agent.js';
import type { Conversation } from '../conversation.js';
import type { StoredEvent } from '../events.js';
import type { View } from '../visibility.js';

/** Renders an agent's events into one kind of conversation (Slack, GitHub, webhooks). */
export interface Notifier {
  readonly kind: Conversation['kind'];
  /**
   * Called with the events this conversation has not seen yet, oldest first, in batches at most
   * once per dispatch interval per agent, with `agent` as it is now and what this destination may
   * see. A throw leaves the events unacknowledged: they come again on the next dispatch.
   */
  notify(agent: Agent, conversation: Conversation, events: StoredEvent[], view: View): Promise<void>;
}

/** Where each conversation of an agent has read its events up to. */
export interface NotifyCursors {
  get(agentId: string, conversationKey: string): Promise<string | null>;
  set(agentId: string, conversationKey: string, eventId: string): Promise<void>;
}

/** A short exclusive lease, so one process at a time renders an agent's events. */
export interface Leases {
  acquire(name: string, ttlMs: number): Promise<string | null>;
  renew(name: string, token: string, ttlMs: number): Promise<boolean>;
  release(name: string, token: string): Promise<void>;
}

/** Tells dispatchers in every process that an agent has new events. */
export interface EventBell {
  ring(agentId: string): Promise<void>;
  onRing(listener: (agentId: string) => void): Promise<() => Promise<void>>;
}
