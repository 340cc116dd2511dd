import type { Agent } from '../agent.js';
import type { Conversation } from '../conversation.js';
import type { StoredEvent } from '../events.js';
import type { View } from '../visibility.js';

/** Renders an agent's events into one kind of conversation (Slack, GitHub, webhooks). */
export interface Notifier {
  readonly kind: Conversation['kind'];
  /** Called for every event, in order, with what this destination may see. */
  notify(agent: Agent, conversation: Conversation, event: StoredEvent, view: View): Promise<void>;
}
