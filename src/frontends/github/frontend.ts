import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import { Context, createNodeMiddleware, Probot, ProbotOctokit } from 'probot';
import type { AgentService, DedupStore, Leases, Metrics, SettingsStore } from '../../core/index.js';
import type { Logger } from '../../logger.js';
import type { Scrubber } from '../../redact/scrubber.js';
import type { HttpMount } from '../http/server.js';
import type { GitHubTriggerJob, GitHubTriggerQueue } from '../../queue/github-trigger-queue.js';
import { errandApp, isTriggerEvent, mayAsk, type AnyContext, type ErrandAppHandlers } from './app.js';
import { GitHubClient } from './github-client.js';
import { GitHubNotifier } from './notifier.js';
import { ReactionsFirst } from './reactions-first.js';
import { TrackingStore } from './tracking-store.js';

export const githubWebhookPath = '/api/github/webhooks';
const octokitTtlMs = 10 * 60_000;

interface ThrottledRequest {
  method: string;
  url: string;
  request: { retryCount: number };
}

export interface GitHubFrontendOptions {
  appId: string;
  /** PEM; `\n` escapes (as in a one-line environment variable) are turned into newlines. */
  privateKey: string;
  webhookSecret: string;
  /** GitHub Enterprise Server's API (`https://ghe.example.com/api/v3`); github.com when unset. */
  apiUrl?: string | undefined;
  /** `@errand`: the mention that calls the agent. */
  trigger: string;
  agents: AgentService;
  dedup: DedupStore;
  settings: SettingsStore;
  /** Short claims on a conversation, so two mentions at once start one agent. */
  claims: Leases;
  /** Where tracking comments are remembered (the store's GitHub module). */
  tracking: ConstructorParameters<typeof TrackingStore>[0];
  scrubber: Scrubber;
  log: Logger;
  publicUrl?: string | undefined;
  /** Webhook bodies above this are refused with 413 (GitHub caps payloads at 25 MB). */
  maxBodyBytes?: number;
  /** How long a repository's `.github/errand.yml` is cached (default one minute). */
  repoConfigTtlMs?: number;
  /** Octokit tuning; tests shorten waits. Production keeps Probot's retry and throttling defaults. */
  octokit?: { retryAfterBaseValue?: number; throttle?: boolean };
  /**
   * The queue accepted deliveries go through: the webhook is answered after the signature check
   * and de-duplication, and the permission check, config read and launch run as a job (`startJobs`, in the worker role or `all`).
   * Without one, a delivery is handled before it is answered.
   */
  triggers?: GitHubTriggerQueue;
  /** Counts GitHub API errors and rate-limit waits. */
  metrics?: Metrics;
}

/**
 * Errand's GitHub App: a Probot app on Errand's HTTP server at /api/github/webhooks, and the
 * notifier that renders agents' progress into issues and pull requests.
 */
export class GitHubFrontend {
  readonly probot: Probot;
  readonly notifier: GitHubNotifier;
  readonly mount: HttpMount;
  private readonly tasks = new Set<Promise<unknown>>();
  private readonly middleware: Promise<(req: Request, res: Response, next: NextFunction) => unknown>;
  private botLoginPromise: Promise<string | null> | null = null;
  private readonly handlers: ErrandAppHandlers;
  private readonly octokits = new Map<number, { at: number; octokit: ReturnType<Probot['auth']> }>();

  constructor(private readonly options: GitHubFrontendOptions) {
    const { log, scrubber } = options;
    const privateKey = options.privateKey.includes('\\n') ? options.privateKey.replace(/\\n/g, '\n') : options.privateKey;
    scrubber.add(options.webhookSecret);
    const base = options.octokit?.retryAfterBaseValue;
    const throttle = {
      enabled: options.octokit?.throttle ?? true,
      ...(base !== undefined ? { retryAfterBaseValue: base } : {}),
      // Honour GitHub's retry-after (primary and secondary limits), but give up after two tries.
      onRateLimit: (retryAfter: number, request: ThrottledRequest) => {
        log.warn({ method: request.method, url: request.url, retryAfter }, 'github rate limit hit');
        options.metrics?.rateLimitWait('github', retryAfter);
        return request.request.retryCount < 2;
      },
      onSecondaryRateLimit: (retryAfter: number, request: ThrottledRequest) => {
        log.warn({ method: request.method, url: request.url, retryAfter }, 'github secondary rate limit hit');
        options.metrics?.rateLimitWait('github', retryAfter);
        return request.request.retryCount < 2;
      },
    };
    // A function, not an object: Probot passes its own `throttle` per instance and an object default
    // would be replaced by it wholesale. Per-installation throttle ids still come from Probot.
    const { metrics } = options;
    const Octokit = ProbotOctokit.defaults((instance: Record<string, unknown>) => ({
      ...instance,
      throttle: { ...(instance.throttle as object | undefined), ...throttle, ...((instance.throttle as { id?: string } | undefined)?.id ? { id: (instance.throttle as { id: string }).id } : {}) },
      ...(base !== undefined ? { retry: { retryAfterBaseValue: base } } : {}),
    })).plugin(new ReactionsFirst().plugin as never, (octokit) => {
      // Every failed GitHub API call, by HTTP status (or `network`), for /metrics.
      octokit.hook.error('request', (error) => {
        metrics?.platformApiError('github', String((error as { status?: unknown }).status ?? 'network'));
        throw error;
      });
    });
    this.probot = new Probot({
      appId: options.appId,
      privateKey,
      secret: options.webhookSecret,
      log: log.child({ frontend: 'github' }),
      Octokit: Octokit as typeof ProbotOctokit,
      ...(options.apiUrl ? { baseUrl: options.apiUrl } : {}),
    });
    const triggerDeps = {
      agents: options.agents,
      dedup: options.dedup,
      claims: options.claims,
      settings: options.settings,
      scrubber,
      log: log.child({ frontend: 'github' }),
      trigger: options.trigger,
      botLogin: () => this.botLogin(),
      background: (what: string, task: () => Promise<unknown>) => this.background(what, task),
    };
    const triggers = options.triggers;
    const app = errandApp(triggerDeps, {
      ...(options.repoConfigTtlMs !== undefined ? { configTtlMs: options.repoConfigTtlMs } : {}),
      ...(triggers ? { defer: async (delivery) => void (await triggers.accept({ deliveryId: delivery.deliveryId, name: delivery.name, raw: JSON.stringify(delivery.payload) })) } : {}),
    });
    this.handlers = app;
    this.middleware = createNodeMiddleware(app, { probot: this.probot, webhooksPath: githubWebhookPath });
    this.notifier = new GitHubNotifier({
      client: async (installationId) => new GitHubClient(await this.installationOctokit(installationId)),
      tracking: new TrackingStore(options.tracking),
      scrubber,
      log: log.child({ frontend: 'github' }),
      publicUrl: options.publicUrl,
      botLogin: () => this.botLogin(),
    });
    const limit = options.maxBodyBytes ?? 25 * 1024 * 1024;
    this.mount = {
      name: 'github',
      mount: (app: Express) => {
        // The raw body as text, capped: Probot verifies X-Hub-Signature-256 over exactly these bytes.
        app.post(githubWebhookPath, express.text({ type: 'application/json', limit }), (req, res, next) => {
          this.intake(req, res)
            .then(async (answered) => {
              if (!answered) await (await this.middleware)(req, res, next);
            })
            .catch(next);
        });
      },
    };
  }

  /**
   * The webhook's answer with a trigger queue: signature checked (Probot's Webhooks.verify over the
   * raw body), the body parsed once, and a delivery that may ask for the agent claimed and stored in
   * one Redis round trip; no Probot context or Octokit is built before the answer. false: not
   * answered here (no queue, a missing header, a bad signature, a form-encoded body): Probot's own
   * middleware answers it, with its error messages.
   */
  private async intake(req: Request, res: Response): Promise<boolean> {
    const triggers = this.options.triggers;
    const name = req.get('x-github-event');
    const deliveryId = req.get('x-github-delivery');
    const signature = req.get('x-hub-signature-256');
    if (!triggers || typeof req.body !== 'string' || !name || !deliveryId || !signature) return false;
    if (!(await this.probot.webhooks.verify(req.body, signature).catch(() => false))) return false;
    let payload: unknown;
    try {
      payload = JSON.parse(req.body);
    } catch {
      return false;
    }
    if (isTriggerEvent(name) && mayAsk(name, payload, this.options.trigger) && !(await triggers.accept({ deliveryId, name, raw: req.body }))) {
      this.options.log.info({ delivery: deliveryId }, 'webhook redelivered; already handled');
    }
    res.status(200).type('text/plain').send('ok\n');
    return true;
  }

  /**
   * An installation's Octokit, kept ten minutes: building one (plugins, throttling, auth strategy)
   * costs more than a job's own work; its token is renewed by the auth strategy as it expires.
   */
  private installationOctokit(installationId: number): ReturnType<Probot['auth']> {
    const hit = this.octokits.get(installationId);
    if (hit && Date.now() - hit.at < octokitTtlMs) return hit.octokit;
    const octokit = this.probot.auth(installationId);
    octokit.catch(() => this.octokits.delete(installationId));
    if (this.octokits.size >= 1_000) this.octokits.delete(this.octokits.keys().next().value!);
    this.octokits.set(installationId, { at: Date.now(), octokit });
    return octokit;
  }

  /** Runs accepted deliveries from the trigger queue in this process (the worker role, or `all`). */
  async startJobs(): Promise<void> {
    await this.options.triggers?.start((job) => this.runDelivery(job), this.options.log);
  }

  /** A deferred delivery, handled as Probot would have handled it, with the installation's client. */
  private async runDelivery(job: GitHubTriggerJob): Promise<void> {
    const octokit = await this.installationOctokit(job.payload.installation.id);
    const event = { id: job.deliveryId, name: job.name, payload: job.payload } as unknown as ConstructorParameters<typeof Context>[0];
    const context = new Context(event, octokit, this.probot.log.child({ delivery: job.deliveryId })) as unknown as AnyContext;
    await this.handlers.run(job, context);
  }

  /** The app's bot login (`my-app[bot]`), from GET /app once; null until GitHub answers. */
  botLogin(): Promise<string | null> {
    this.botLoginPromise ??= this.probot
      .auth()
      .then(async (octokit) => {
        const { data } = await octokit.rest.apps.getAuthenticated();
        return data?.slug ? `${data.slug}[bot]` : null;
      })
      .catch((error: unknown) => {
        this.options.log.warn({ err: error }, 'could not read the GitHub App; will retry');
        this.botLoginPromise = null;
        return null;
      });
    return this.botLoginPromise;
  }

  /** Resolves when every background write (reactions, replies) has finished. */
  async idle(): Promise<void> {
    while (this.tasks.size > 0) await Promise.allSettled([...this.tasks]);
  }

  private background(what: string, task: () => Promise<unknown>): void {
    const running = task()
      .catch((error: unknown) => this.options.log.warn({ err: error, what }, 'github write failed'))
      .finally(() => this.tasks.delete(running));
    this.tasks.add(running);
  }
}
