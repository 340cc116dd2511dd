import { createHmac } from 'node:crypto';
import { lookup } from 'node:dns/promises';
import { PermanentFailure, viewFor, type Agent, type Log, type Settings } from '../../../core/index.js';
import type { WebhookJob } from '../../../queue/webhook-queue.js';
import type { Scrubber } from '../../../redact/scrubber.js';
import { apiStatus, presentAgent } from './present.js';
import type { WebhookSecretStore } from '../../../store/redis/webhook-secrets.js';
import { isInternalAddress, isLoopback, webhookUrlProblem, type WebhookUrlPolicy } from './webhook-url.js';

export const webhookUserAgent = 'Errand-Webhook/1';

export interface WebhookDeliveryDeps {
  agents: { get(agentId: string): Promise<Agent | null> };
  settings: { get(workspace: string): Promise<Settings> };
  secrets: WebhookSecretStore;
  scrubber: Scrubber;
  log: Log;
  /** Where links in the payload point (ERRAND_PUBLIC_URL, else the server's own address). */
  baseUrl: () => string;
  urlPolicy?: WebhookUrlPolicy;
  fetch?: typeof fetch;
  timeoutMs?: number;
  now?: () => Date;
}

/** `sha256=<hex>`: HMAC-SHA256 of the raw body, as Cursor's webhooks sign theirs. */
export function webhookSignature(secret: string, rawBody: string): string {
  return `sha256=${createHmac('sha256', secret).update(rawBody, 'utf8').digest('hex')}`;
}

/**
 * Sends one signed `statusChange` webhook (the queue in src/queue/webhook-queue.ts retries it):
 * any non-2xx answer or network error throws to retry; what no retry can fix (a bad URL, a
 * redirect, a private address) throws PermanentFailure.
 */
export class WebhookSender {
  constructor(private readonly deps: WebhookDeliveryDeps) {}

  async send(job: WebhookJob, meta: { jobId: string; attempt: number }): Promise<void> {
    const { agentId, status } = job;
    const agent = await this.deps.agents.get(agentId);
    // Deleted or expired: nobody to tell about it.
    if (!agent) return;
    const conversation = agent.conversations.find((c) => c.kind === 'api');
    const url = conversation?.kind === 'api' ? conversation.webhookUrl : undefined;
    if (!conversation || !url) return;
    await this.assertSendable(url);

    const settings = await this.deps.settings.get(agent.workspace);
    const view = viewFor(agent, conversation, settings);
    const presented = presentAgent(agent, this.deps.baseUrl(), this.deps.scrubber);
    const body = JSON.stringify({
      event: 'statusChange',
      timestamp: (this.deps.now?.() ?? new Date()).toISOString(),
      id: agent.id,
      status: apiStatus(status),
      source: presented.source,
      target: { url: presented.target.url, branchName: presented.target.branchName, prUrl: presented.target.prUrl },
      ...(view === 'full' && presented.summary !== null ? { summary: presented.summary } : {}),
      ...(status === 'failed' && agent.error ? { error: { code: agent.error.code } } : {}),
    });
    const secret = await this.deps.secrets.get(agent);
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': webhookUserAgent,
      'x-webhook-id': meta.jobId,
      'x-webhook-event': 'statusChange',
      ...(secret ? { 'x-webhook-signature': webhookSignature(secret, body) } : {}),
    };
    const response = await (this.deps.fetch ?? fetch)(url, {
      method: 'POST',
      headers,
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(this.deps.timeoutMs ?? 10_000),
    });
    await response.body?.cancel().catch(() => undefined);
    if (response.status >= 300 && response.status < 400) throw new PermanentFailure('invalid_request', `webhook answered ${response.status} (a redirect); redirects are not followed`);
    if (!response.ok) throw new Error(`webhook answered ${response.status}`);
    this.deps.log.info({ agentId, status, jobId: meta.jobId, attempt: meta.attempt }, 'webhook delivered');
  }

  /** The URL was checked at launch; its host name is checked again here, after DNS. */
  private async assertSendable(text: string): Promise<void> {
    const problem = webhookUrlProblem(text, this.deps.urlPolicy);
    if (problem) throw new PermanentFailure('invalid_request', `webhook URL ${problem}`);
    const host = new URL(text).hostname;
    if (this.deps.urlPolicy?.allowPrivate || isLoopback(host)) return;
    const addresses = await lookup(host.replace(/^\[|\]$/g, ''), { all: true });
    if (addresses.some((a) => isInternalAddress(a.address))) {
      throw new PermanentFailure('forbidden', 'webhook host resolves to a private or link-local address; refusing to send');
    }
  }
}
