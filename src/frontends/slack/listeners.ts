import type { App } from '@slack/bolt';
import { z } from 'zod';
import { isErrandError } from '../../core/index.js';
import type { SlackTriggerJob } from '../../queue/slack-trigger-queue.js';
import { actionIds, helpText, homeView, listMessage } from './blocks.js';
import { parseCommand } from './commands.js';
import { whisper, type SlackContext } from './context.js';
import { explain } from './errors.js';
import { stopAgent, stopHint } from './requests.js';
import { openSettings, readSettingsSubmission, settingsCallbackId } from './settings-modal.js';

/** The parts of a message event we use; Slack's payloads carry more, which we keep and ignore. */
const MessageEvent = z.looseObject({
  type: z.string(),
  subtype: z.string().optional(),
  user: z.string().optional(),
  bot_id: z.string().optional(),
  text: z.string().optional(),
  ts: z.string(),
  thread_ts: z.string().optional(),
  channel: z.string(),
  team: z.string().optional(),
});
type MessageEvent = z.infer<typeof MessageEvent>;

/** Fields of the Events API envelope around every event. */
const Envelope = z.looseObject({
  team_id: z.string().optional(),
  event_id: z.string().optional(),
  is_ext_shared_channel: z.boolean().optional(),
});

/** An accepted request could not be handed to its job: the answer must say so (Slack then retries an event). */
export class NotAccepted extends Error {
  constructor(cause: unknown) {
    super('the request could not be queued', { cause });
    this.name = 'NotAccepted';
  }
}

/** Event types whose work runs as a job: de-duplicated by the queue, not by the claim below. */
const queuedEvents = new Set(['app_mention', 'message']);

export function registerListeners(app: App, ctx: SlackContext): void {
  // Slack re-sends an event it thinks we missed (X-Slack-Retry-Num); the same event_id does nothing
  // twice. Mentions and replies are de-duplicated where they are queued, in the same Redis script.
  app.use(async ({ body, context, next }) => {
    const envelope = Envelope.safeParse(body);
    const eventId = envelope.success ? envelope.data.event_id : undefined;
    const type = (body as { event?: { type?: unknown } }).event?.type;
    if (eventId && !(typeof type === 'string' && queuedEvents.has(type)) && !(await ctx.dedup.claim(`slack:event:${eventId}`))) {
      ctx.log.info({ eventId, retryNum: context.retryNum }, 'duplicate slack event ignored');
      return;
    }
    await next();
  });

  const accept = async (job: SlackTriggerJob) => {
    try {
      await ctx.accept(job);
    } catch (error) {
      throw new NotAccepted(error);
    }
  };

  // The answer goes out when this listener returns (processBeforeResponse): everything slow is a
  // job (a launch) or runs in the background (a stop, the settings modal).
  app.command('/agent', async ({ command, ack, respond }) => {
    const parsed = parseCommand(command.text);
    const teamId = command.team_id;
    const log = ctx.log.child({ teamId, channelId: command.channel_id, userId: command.user_id });
    const later = (what: string, task: () => Promise<string | void>) =>
      ctx.background(what, async () => {
        try {
          const text = await task();
          if (text) await respond({ response_type: 'ephemeral', text });
        } catch (error) {
          if (!isErrandError(error)) log.error({ err: error }, 'slack command failed');
          await respond({ response_type: 'ephemeral', text: explain(error) }).catch((e: unknown) => log.warn({ err: e }, 'could not tell the person about a failed command'));
        }
      });
    try {
      switch (parsed.kind) {
        case 'help':
          return await ack({ response_type: 'ephemeral', text: helpText });
        case 'list': {
          const principal = ctx.people.quick(teamId, command.user_id, command.user_name);
          const page = await ctx.agents.list({ owner: principal, limit: 10 });
          const message = listMessage(page.agents, ctx.publicUrl);
          return await ack({ response_type: 'ephemeral', text: message.text, blocks: message.blocks });
        }
        case 'settings':
          await ack();
          return later('settings', () => openSettings(ctx, command.trigger_id, teamId, command.channel_id, command.user_id));
        case 'stop': {
          await ack();
          const agentId = parsed.agentId;
          return later('stop', () => (agentId ? stopAgent(ctx, teamId, command.user_id, agentId) : stopHint(ctx, teamId, command.user_id, command.user_name)));
        }
        case 'launch':
          await ctx.accept({
            kind: 'command', triggerId: command.trigger_id, teamId, channelId: command.channel_id, userId: command.user_id,
            ...(command.user_name ? { userName: command.user_name } : {}), text: command.text, responseUrl: command.response_url,
          });
          return await ack();
      }
    } catch (error) {
      if (!isErrandError(error)) log.error({ err: error }, 'slack command failed');
      await ack({ response_type: 'ephemeral', text: explain(error) });
    }
  });

  app.event('app_mention', async ({ event, body }) => {
    const envelope = Envelope.parse(body);
    const parsedEvent = MessageEvent.safeParse(event);
    if (!parsedEvent.success || !parsedEvent.data.user) return;
    const message = parsedEvent.data;
    await accept({
      kind: 'mention', eventId: envelope.event_id ?? `${message.channel}-${message.ts}`, teamId: envelope.team_id ?? message.team ?? '', channelId: message.channel, userId: message.user!,
      text: message.text ?? '', ts: message.ts, ...(message.thread_ts ? { threadTs: message.thread_ts } : {}), external: envelope.is_ext_shared_channel ?? false,
    });
  });

  // Replies in a thread may be follow-ups (the job looks for the thread's agent). Edits, deletions,
  // joins (subtypes), bots, our own messages and mentions of us (handled above) are not.
  app.message(async ({ message, body }) => {
    const parsed = MessageEvent.safeParse(message);
    if (!parsed.success) return;
    const m = parsed.data;
    if (m.subtype || m.bot_id || !m.user || m.user === ctx.botUserId || !m.thread_ts || m.thread_ts === m.ts) return;
    if ((m.text ?? '').includes(`<@${ctx.botUserId}`)) return;
    const envelope = Envelope.parse(body);
    await accept({
      kind: 'reply', eventId: envelope.event_id ?? `${m.channel}-${m.ts}`, teamId: envelope.team_id ?? m.team ?? '', channelId: m.channel, userId: m.user,
      text: m.text ?? '', ts: m.ts, threadTs: m.thread_ts, external: envelope.is_ext_shared_channel ?? false,
    });
  });

  app.action(actionIds.stop, async ({ ack, body, action }) => {
    await ack();
    const agentId = 'value' in action && typeof action.value === 'string' ? action.value : '';
    const teamId = body.team?.id ?? '';
    ctx.background('stop button', async () => {
      const text = await stopAgent(ctx, teamId, body.user.id, agentId);
      const channel = body.channel?.id;
      if (channel) await whisper(ctx, channel, body.user.id, text, threadOf(body));
    });
  });
  // Link buttons still send an action; acknowledging it keeps Slack from showing a warning.
  for (const id of [actionIds.open, actionIds.pr]) app.action(id, async ({ ack }) => void (await ack()));

  app.view(settingsCallbackId, async ({ ack, body, view }) => {
    const teamId = body.team?.id ?? view.team_id;
    const submission = await readSettingsSubmission(ctx, teamId, body.user.id, view.private_metadata, view.state.values);
    if (!submission.ok) return await ack({ response_action: 'errors', errors: submission.errors });
    await ack();
    ctx.background('settings save', () => submission.save(ctx));
  });

  app.event('app_home_opened', async ({ event, body }) => {
    if (event.tab !== 'home') return;
    const teamId = Envelope.parse(body).team_id ?? '';
    ctx.background('home tab', async () => {
      const page = await ctx.agents.list({ owner: ctx.people.quick(teamId, event.user, undefined), limit: 20 });
      await ctx.client.views.publish({ user_id: event.user, view: homeView(page.agents, ctx.publicUrl) });
    });
  });

  // Sharing changes what a channel may see; re-check with conversations.info rather than trust the event.
  const recheck = (channel: string, teamId: string) =>
    ctx.background('channel share re-check', async () => {
      const info = await ctx.client.conversations.info({ channel });
      await ctx.state.setChannelExternal(teamId, channel, Boolean(info.channel?.is_ext_shared));
    });
  app.event('channel_shared', async ({ event, body }) => recheck(event.channel, Envelope.parse(body).team_id ?? ''));
  app.event('channel_unshared', async ({ event, body }) => recheck(event.channel, Envelope.parse(body).team_id ?? ''));
}

function threadOf(body: unknown): string | undefined {
  const message = (body as { message?: { thread_ts?: unknown; ts?: unknown } }).message;
  const ts = message?.thread_ts ?? message?.ts;
  return typeof ts === 'string' ? ts : undefined;
}
