import { pino } from 'pino';
import { NotifyDispatcher, SettingsService, type LaunchCapabilities } from '../../src/core/index.js';
import { startHttpServer, type RunningHttpServer } from '../../src/frontends/http/server.js';
import { createSlackFrontend, slackEventsPath, type SlackFrontend } from '../../src/frontends/slack/slack-frontend.js';
import { SlackTriggerQueue } from '../../src/queue/slack-trigger-queue.js';
import { coreHarness, silentLog, type CoreHarness } from './core.js';
import { FakeSlack } from './fake-slack.js';
import { eventBody, interactionBody, postSigned, slashCommandBody, type EventOptions, type SignedPost } from './slack-requests.js';
import { perTest } from './per-test.js';
import { waitFor } from './wait.js';

export const signingSecret = 'test-signing-secret';

export interface CommandOptions {
  userId?: string;
  channelId?: string;
  timestamp?: number;
  triggerId?: string;
}

export interface SlackHarness {
  core: CoreHarness;
  slack: FakeSlack;
  frontend: SlackFrontend;
  /** Accepted commands, mentions and replies wait here for their job. */
  triggers: SlackTriggerQueue;
  http: RunningHttpServer;
  dispatcher: NotifyDispatcher;
  eventsUrl: string;
  /** `/agent <text>` from a user in a channel, signed like Slack. */
  command(text: string, options?: CommandOptions): Promise<SignedPost>;
  /**
   * `/agent <text>` answered with an empty acknowledgement, then what its job tells the person
   * through the command's response_url (a refusal, or "waits for N").
   */
  answer(text: string, options?: CommandOptions): Promise<Record<string, unknown>>;
  event(event: Record<string, unknown>, options?: EventOptions & { retryNum?: number }): Promise<SignedPost>;
  interaction(payload: Record<string, unknown>): Promise<SignedPost>;
  close(): Promise<void>;
}

/**
 * The real Bolt app on Errand's HTTP server, the real core on Redis, a notification dispatcher
 * with a short interval, and a fake Slack Web API answering the real client.
 */
export async function slackHarness(options: { retries?: number; dispatchIntervalMs?: number; capabilities?: LaunchCapabilities } = {}): Promise<SlackHarness> {
  const core = await coreHarness(options.capabilities ? { capabilities: options.capabilities } : {});
  const slack = await new FakeSlack().start();
  slack.addUser({ id: 'U1', name: 'ada', real_name: 'Ada Lovelace', email: 'ada@example.com' });
  slack.addUser({ id: 'U2', name: 'grace', real_name: 'Grace Hopper' });
  slack.addUser({ id: 'UADMIN', name: 'boss', real_name: 'The Admin', is_admin: true });
  slack.addChannel('C1');
  const state = core.stores.slack;
  const triggers = new SlackTriggerQueue(core.redis, core.prefix.replace(/:$/, ''), { backoffMs: 20 });
  const frontend = await createSlackFrontend({
    botToken: slack.token,
    signingSecret,
    apiUrl: slack.apiUrl,
    publicUrl: 'https://errand.example.com',
    agents: core.service,
    settings: core.stores.settings,
    settingsAdmin: new SettingsService({ settings: core.stores.settings, audit: core.stores.audit, log: silentLog }),
    dedup: core.stores.dedup,
    state,
    triggers,
    log: process.env.SLACK_DEBUG ? pino({ level: 'debug' }) : silentLog,
    retryConfig: { retries: options.retries ?? 2, minTimeout: 0, maxTimeout: 0 },
  });
  await frontend.start();
  // The `all` layout: this process answers requests and runs their jobs.
  await frontend.startJobs();
  const http = await startHttpServer({ host: '127.0.0.1', port: 0, log: silentLog, mounts: [frontend.mount!] });
  const dispatcher = new NotifyDispatcher({ ...core.stores, notifiers: [frontend.notifier], log: process.env.SLACK_DEBUG ? pino({ level: 'debug' }) : silentLog, intervalMs: options.dispatchIntervalMs ?? 20, sweepMs: 60_000 });
  await dispatcher.start();
  const eventsUrl = `${http.url}${slackEventsPath}`;
  let responseSeq = 0;
  const send = (text: string, id: string, o: CommandOptions) =>
    postSigned(eventsUrl, slashCommandBody({ text, responseUrl: slack.responseUrl(id), ...(o.userId ? { userId: o.userId } : {}), ...(o.channelId ? { channelId: o.channelId } : {}), ...(o.triggerId ? { triggerId: o.triggerId } : {}) }), 'application/x-www-form-urlencoded', {
      secret: signingSecret,
      ...(o.timestamp !== undefined ? { timestamp: o.timestamp } : {}),
    });
  return {
    core, slack, frontend, triggers, http, dispatcher, eventsUrl,
    command: (text, o = {}) => send(text, String(++responseSeq), o),
    answer: async (text, o = {}) => {
      const id = String(++responseSeq);
      const ack = await send(text, id, o);
      expect({ status: ack.status, body: ack.body }).toEqual({ status: 200, body: '' });
      const answered = await waitFor(() => slack.responses.find((r) => r.path === `/respond/${id}`), { what: `the answer to /agent ${text}` });
      return answered.body;
    },
    event: (event, o = {}) => postSigned(eventsUrl, eventBody(event, o), 'application/json', { secret: signingSecret, ...(o.retryNum !== undefined ? { retryNum: o.retryNum } : {}) }),
    interaction: (payload) => postSigned(eventsUrl, interactionBody(payload), 'application/x-www-form-urlencoded', { secret: signingSecret }),
    close: async () => {
      await dispatcher.close();
      await http.close();
      await frontend.stop();
      await triggers.close();
      await slack.stop();
      await core.close();
    },
  };
}

/** A fresh Slack harness per test; the test fails if the fake Slack got a call it does not know. */
export function slackHarnessPerTest(options: Parameters<typeof slackHarness>[0] = {}): SlackHarness {
  return perTest('Slack', () => slackHarness(options), async (h) => {
    expect(h.slack.unexpected).toEqual([]);
    await h.close();
  });
}
