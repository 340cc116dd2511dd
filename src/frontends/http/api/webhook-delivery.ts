import { createHmac } from 'node:crypto';
import { lookup } from 'node:dns/promises';
import { Queue, UnrecoverableError, Worker, type ConnectionOptions, type Job } from 'bullmq';
import { z } from 'zod';
import { viewFor, type Agent, type Log, type Settings } from '../../../core/index.js';
import type { Scrubber } from '../../../redact/scrubber.js';
import { apiStatus, presentAgent } from './present.js';
import type { WebhookSecretStore } from '../../../store/redis/webhook-secrets.js';
import { isInternalAddress, isLoopback, webhookUrlProblem, type WebhookUrlPolicy } from './webhook-url.js';

export const webhookQueueName = 'errand-webhooks';
export const webhookUserAgent = 'Errand-Webhook/1';

/** One delivery: ids only; the agent, URL and secret are read when it is sent. */
export const WebhookJob = z
  .object({
    agentId: z.string().min(1),
    eventId: z.string().regex(/^\d+-\d+$/),
    status: z.enum(['finished', 'failed', 'stopped']),
  })
  .strict();
export type WebhookJob = z.infer<typeof WebhookJob>;

export interface WebhookDeliveryDeps {
  connection: ConnectionOptions;
  /** BullMQ key prefix (Errand's prefix without the trailing colon). */
  prefix: string;
  agents: { get(agentId: string): Promise<Agent | null> };
  settings: { get(workspace: string): Promise<Settings> };
  secrets: WebhookSecretStore;
  scrubber: Scrubber;
  log: Log;
  /** Where links in the payload point (ERRAND_PUBLIC_URL, else the server's own address). */
  baseUrl: () => string;
  urlPolicy?: WebhookUrlPolicy;
  fetch?: typeof fetch;
  /** Tries per delivery (default 8: about 20 minutes of retries with the default back-off). */
  attempts?: number;
  /** First retry delay; each retry doubles it (default 5 s). */
  backoffMs?: number;
  timeoutMs?: number;
  now?: () => Date;
}

/** `sha256=<hex>`: HMAC-SHA256 of the raw body, as Cursor's webhooks sign theirs. */
export function webhookSignature(secret: string, rawBody: string): string {
  return `sha256=${createHmac('sha256', secret).update(rawBody, 'utf8').digest('hex')}`;
}

/**
 * Signed `statusChange` webhooks, sent from a BullMQ queue: a delivery survives a restart, is
 * retried with exponential back-off on any non-2xx answer or network error, and is enqueued under
 * a job id made of the agent and event ids, so each status change is delivered once.
 */
export class WebhookDeliveries {
  private readonly queue: Queue;
  private readonly worker: Worker;

  constructor(private readonly deps: WebhookDeliveryDeps) {
    const attempts = deps.attempts ?? 8;
    this.queue = new Queue(webhookQueueName, {
      connection: deps.connection,
      prefix: deps.prefix,
      defaultJobOptions: {
        attempts,
        backoff: { type: 'exponential', delay: deps.backoffMs ?? 5_000 },
        removeOnComplete: { age: 7 * 86_400, count: 10_000 },
        removeOnFail: { age: 7 * 86_400 },
      },
    });
    this.worker = new Worker(webhookQueueName, (job) => this.process(job), { connection: deps.connection, prefix: deps.prefix, autorun: false, concurrency: 4 });
    this.worker.on('error', (error) => deps.log.error({ err: error }, 'webhook worker error'));
    this.worker.on('failed', (job, error) => {
      const final = job !== undefined && job.attemptsMade >= (job.opts.attempts ?? attempts);
      const details = { jobId: job?.id, agentId: (job?.data as Partial<WebhookJob> | undefined)?.agentId, attempts: job?.attemptsMade, err: error };
      if (final || error instanceof UnrecoverableError) deps.log.error(details, 'webhook delivery gave up');
      else deps.log.warn(details, 'webhook delivery failed; will retry');
    });
  }

  async start(): Promise<void> {
    void this.worker.run();
    await this.worker.waitUntilReady();
  }

  async close(): Promise<void> {
    await this.worker.close();
    await this.queue.close();
  }

  async enqueue(job: WebhookJob): Promise<void> {
    const data = WebhookJob.parse(job);
    await this.queue.add('statusChange', data, { jobId: `wh-${data.agentId}-${data.eventId}` });
  }

  private async process(job: Job): Promise<void> {
    const parsed = WebhookJob.safeParse(job.data);
    if (!parsed.success) throw new UnrecoverableError(`invalid webhook job: ${z.prettifyError(parsed.error)}`);
    const { agentId, status } = parsed.data;
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
      'x-webhook-id': String(job.id),
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
    if (response.status >= 300 && response.status < 400) throw new UnrecoverableError(`webhook answered ${response.status} (a redirect); redirects are not followed`);
    if (!response.ok) throw new Error(`webhook answered ${response.status}`);
    this.deps.log.info({ agentId, status, jobId: job.id, attempt: job.attemptsMade + 1 }, 'webhook delivered');
  }

  /** The URL was checked at launch; its host name is checked again here, after DNS. */
  private async assertSendable(text: string): Promise<void> {
    const problem = webhookUrlProblem(text, this.deps.urlPolicy);
    if (problem) throw new UnrecoverableError(`webhook URL ${problem}`);
    const host = new URL(text).hostname;
    if (this.deps.urlPolicy?.allowPrivate || isLoopback(host)) return;
    const addresses = await lookup(host.replace(/^\[|\]$/g, ''), { all: true });
    if (addresses.some((a) => isInternalAddress(a.address))) {
      throw new UnrecoverableError('webhook host resolves to a private or link-local address; refusing to send');
    }
  }
}
