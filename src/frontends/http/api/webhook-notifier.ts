import { isSettled, type Agent, type Conversation, type Notifier, type StoredEvent } from '../../../core/index.js';
import type { WebhookJob } from '../../../queue/webhook-queue.js';

/**
 * The API's notifier: for an agent launched with `webhook.url`, every status event that settles it
 * (finished, failed, stopped) becomes one `statusChange` delivery. Enqueuing is all it does, so
 * the dispatcher is never held up by a slow receiver.
 */
export class WebhookNotifier implements Notifier {
  readonly kind = 'api' as const;

  constructor(private readonly deliveries: { enqueue(job: WebhookJob): Promise<void> }) {}

  async notify(agent: Agent, conversation: Conversation, events: StoredEvent[]): Promise<void> {
    if (conversation.kind !== 'api' || !conversation.webhookUrl) return;
    for (const event of events) {
      if (event.type !== 'status' || !isSettled(event.status)) continue;
      await this.deliveries.enqueue({ agentId: agent.id, eventId: event.id, status: event.status as WebhookJob['status'] });
    }
  }
}
