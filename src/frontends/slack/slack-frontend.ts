import { App, ExpressReceiver, webApi } from '@slack/bolt';
import type { NextFunction, Request, Response } from 'express';
import type { AgentService, Clock, DedupStore, Metrics, SettingsService, SettingsStore } from '../../core/index.js';
import { systemClock } from '../../core/index.js';
import type { Logger } from '../../logger.js';
import type { HttpMount } from '../http/server.js';
import { boltLogger } from './bolt-logger.js';
import type { SlackContext } from './context.js';
import { NotAccepted, registerListeners } from './listeners.js';
import { SlackNotifier } from './notifier.js';
import { People } from './people.js';
import type { SlackState } from '../../store/redis/slack-state.js';
import type { SlackTriggerQueue } from '../../queue/slack-trigger-queue.js';
import { runSlackTrigger } from './triggers.js';

export interface SlackFrontendOptions {
  botToken: string;
  /** HTTP mode: requests to /slack/events are verified with it. */
  signingSecret?: string | undefined;
  /** Socket Mode (wins over HTTP when set): no public URL needed. */
  appToken?: string | undefined;
  /** Slack's Web API base URL (tests point it at a fake). */
  apiUrl?: string | undefined;
  /** ERRAND_PUBLIC_URL, for the Open button. */
  publicUrl?: string | undefined;
  agents: AgentService;
  settings: SettingsStore;
  /** Changes to workspace defaults go through it: admins only, audited. */
  settingsAdmin: Pick<SettingsService, 'update'>;
  dedup: DedupStore;
  state: SlackState;
  /**
   * Accepted commands, mentions and thread replies: answered once Bolt has checked the signature
   * and the queue has the job (de-duplicated in the same script); the job does the rest, in the
   * process that calls `startJobs` (the worker role, or `all`). The caller closes the queue.
   */
  triggers: SlackTriggerQueue;
  log: Logger;
  /** Counts Slack API errors and rate-limit waits. */
  metrics?: Metrics;
  clock?: Clock;
  /** How the Web API client retries; 429s always wait for Retry-After first. */
  retryConfig?: webApi.RetryOptions;
  /** Largest request body accepted on /slack/events. */
  bodyLimitBytes?: number;
  /** How far a request's timestamp may lie in the future (clock skew), in seconds. */
  maxFutureSkewSeconds?: number;
  /** At most one chat.update per status message per this many ms (default 1000). */
  editGapMs?: number;
}

export interface SlackFrontend {
  /** The /slack/events route on Errand's HTTP server; null in Socket Mode. */
  mount: HttpMount | null;
  notifier: SlackNotifier;
  botUserId: string;
  /** Takes requests: opens the queue's connection, and connects Socket Mode when that is the transport. */
  start(): Promise<void>;
  /** Runs accepted requests' jobs in this process (the worker role, or `all`). */
  startJobs(): Promise<void>;
  stop(): Promise<void>;
}

export const slackEventsPath = '/slack/events';

/**
 * A 429 waits for Retry-After (the client pauses its queue), then retries a few times with
 * backoff; past that the call fails and the dispatcher offers the events again later, so a long
 * rate-limit storm delays messages but loses none.
 */
export const defaultRetryConfig: webApi.RetryOptions = { retries: 5, factor: 2, minTimeout: 250, maxTimeout: 5_000 };

/**
 * Errand's Slack front end: a Bolt app that turns commands, mentions, thread replies and buttons
 * into AgentService calls, and a notifier that renders agents' events into their threads.
 */
export async function createSlackFrontend(options: SlackFrontendOptions): Promise<SlackFrontend> {
  const logger = boltLogger(options.log);
  const clientOptions: webApi.WebClientOptions = {
    logger,
    retryConfig: options.retryConfig ?? defaultRetryConfig,
    ...(options.apiUrl ? { slackApiUrl: options.apiUrl } : {}),
  };
  const client = new webApi.WebClient(options.botToken, clientOptions);
  const poster = new webApi.WebClient(options.botToken, { ...clientOptions, retryConfig: { retries: 0 }, rejectRateLimitedCalls: true });
  if (options.metrics) for (const web of [client, poster]) measureSlackClient(web, options.metrics);
  // Who we are, once, at start: Bolt then never calls auth.test on the way to an acknowledgement.
  const auth = await client.auth.test();
  const botUserId = auth.user_id ?? '';
  const botId = auth.bot_id ?? '';

  const bodyLimit = options.bodyLimitBytes ?? 512 * 1024;
  const socketMode = Boolean(options.appToken);
  if (!socketMode && !options.signingSecret) throw new Error('SLACK_SIGNING_SECRET is required unless SLACK_APP_TOKEN (Socket Mode) is set');
  const receiver = socketMode
    ? null
    : // The answer waits for the listener, so an event is answered only once its job is stored.
      new ExpressReceiver({ signingSecret: options.signingSecret!, endpoints: slackEventsPath, logger, processBeforeResponse: true, bodyLimit });
  const app = new App({
    token: options.botToken,
    botId,
    botUserId,
    tokenVerificationEnabled: false,
    // Bolt's in-memory conversation store is a middleware on every request; nothing here reads it.
    convoStore: false,
    logger,
    clientOptions,
    ...(receiver ? { receiver } : { socketMode: true, appToken: options.appToken! }),
  });
  app.error(async (error) => {
    options.log.error({ err: error }, 'slack listener failed');
    // Not queued: answer 500, so Slack sends the event again.
    if ((error as { original?: unknown }).original instanceof NotAccepted || error instanceof NotAccepted) throw error;
  });
  const tasks = new Set<Promise<unknown>>();
  const background = (what: string, task: () => Promise<unknown>) => {
    const running: Promise<unknown> = task()
      .catch((error: unknown) => options.log.warn({ err: error, what }, 'slack background task failed'))
      .finally(() => tasks.delete(running));
    tasks.add(running);
  };

  const ctx: SlackContext = {
    agents: options.agents,
    settings: options.settings,
    settingsAdmin: options.settingsAdmin,
    dedup: options.dedup,
    state: options.state,
    people: new People(client),
    client,
    poster,
    botUserId,
    botId,
    publicUrl: options.publicUrl,
    log: options.log.child({ component: 'slack' }),
    accept: (job) => options.triggers.enqueue(job),
    background,
  };
  registerListeners(app, ctx);
  const notifier = new SlackNotifier({ agents: options.agents, client, poster, state: options.state, settings: options.settings, publicUrl: options.publicUrl, log: ctx.log, ...(options.editGapMs !== undefined ? { editGapMs: options.editGapMs } : {}) });

  const mount: HttpMount | null = receiver
    ? {
        name: 'slack',
        mount: (server) => {
          server.use(slackEventsPath, requestGuard({ bodyLimit, clock: options.clock ?? systemClock, maxFutureSkewSeconds: options.maxFutureSkewSeconds ?? 60, log: ctx.log }));
          server.use(receiver.router);
        },
      }
    : null;

  return {
    mount,
    notifier,
    botUserId,
    start: async () => {
      await options.triggers.warm();
      if (socketMode) await app.start();
    },
    startJobs: () => options.triggers.start((job, meta) => runSlackTrigger(ctx, job, meta), options.log),
    stop: async () => {
      if (socketMode) await app.stop();
      await options.triggers.stopWorker();
      while (tasks.size > 0) await Promise.allSettled([...tasks]);
      await notifier.flush();
    },
  };
}

/**
 * Before Bolt reads a request: refuse bodies over the cap (by Content-Length; Bolt's reader enforces
 * the same cap on the bytes) and timestamps from the future. Bolt refuses stale timestamps (older
 * than five minutes) and bad signatures; a future one would let a captured request be replayed
 * for as long as it lies ahead.
 */
function requestGuard(options: { bodyLimit: number; clock: Clock; maxFutureSkewSeconds: number; log: SlackContext['log'] }) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const length = Number(req.headers['content-length'] ?? 0);
    if (length > options.bodyLimit) {
      options.log.warn({ length }, 'slack request refused: body too large');
      res.status(413).end();
      return;
    }
    const timestamp = Number(req.headers['x-slack-request-timestamp']);
    const now = Math.floor(options.clock.now().getTime() / 1000);
    if (!Number.isFinite(timestamp) || timestamp > now + options.maxFutureSkewSeconds) {
      options.log.warn({ timestamp, now }, 'slack request refused: timestamp missing or in the future');
      res.status(401).end();
      return;
    }
    next();
  };
}

/** Counts the client's failed calls (by Slack's error code) and rate-limit waits, for /metrics. */
function measureSlackClient(client: webApi.WebClient, metrics: Metrics): void {
  client.on(webApi.WebClientEvent.RATE_LIMITED, (retrySeconds: number) => metrics.rateLimitWait('slack', retrySeconds));
  const apiCall = client.apiCall.bind(client);
  client.apiCall = async (method, args) => {
    try {
      return await apiCall(method, args);
    } catch (error) {
      const data = (error as { code?: unknown; data?: { error?: unknown } }).data;
      metrics.platformApiError('slack', typeof data?.error === 'string' ? data.error : String((error as { code?: unknown }).code ?? 'unknown'));
      throw error;
    }
  };
}
