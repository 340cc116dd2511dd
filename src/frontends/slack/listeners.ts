import type { App } from '@slack/bolt';
import { z } from 'zod';
import { isErrandError, type Agent, type SlackThread } from '../../core/index.js';
import { actionIds, agentLines, escape, helpText, homeView, listMessage } from './blocks.js';
import { parseCommand, stripMention } from './commands.js';
import { slackThread, whisper, type SlackContext } from './context.js';
import { explain } from './errors.js';
import { launchFromCommand, launchFromMention } from './launch.js';
import { postMessage } from './post-once.js';
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

export function registerListeners(app: App, ctx: SlackContext): void {
  // Slack re-sends an event it thinks we missed (X-Slack-Retry-Num); the same event_id does nothing twice.
  app.use(async ({ body, context, next }) => {
    const envelope = Envelope.safeParse(body);
    const eventId = envelope.success ? envelope.data.event_id : undefined;
    if (eventId && !(await ctx.dedup.claim(`slack:event:${eventId}`))) {
      ctx.log.info({ eventId, retryNum: context.retryNum }, 'duplicate slack event ignored');
      return;
    }
    await next();
  });

  app.command('/agent', async ({ command, ack, respond }) => {
    const parsed = parseCommand(command.text);
    const teamId = command.team_id;
    const log = ctx.log.child({ teamId, channelId: command.channel_id, userId: command.user_id });
    let acked = false;
    const ackOnce = async (text?: string) => {
      if (acked) return;
      acked = true;
      await (text ? ack({ response_type: 'ephemeral', text }) : ack());
    };
    const tell = async (text: string) => (acked ? void (await respond({ response_type: 'ephemeral', text })) : ackOnce(text));
    try {
      switch (parsed.kind) {
        case 'help':
          return await ackOnce(helpText);
        case 'list': {
          const principal = ctx.people.quick(teamId, command.user_id, command.user_name);
          const page = await ctx.agents.list({ owner: principal, limit: 10 });
          const message = listMessage(page.agents, ctx.publicUrl);
          acked = true;
          return await ack({ response_type: 'ephemeral', text: message.text, blocks: message.blocks });
        }
        case 'settings':
          await ackOnce();
          return await openSettings(ctx, command.trigger_id, teamId, command.channel_id, command.user_id);
        case 'stop': {
          await ackOnce();
          if (!parsed.agentId) return await tell(await stopHint(ctx, teamId, command.user_id, command.user_name));
          return await tell(await stopAgent(ctx, teamId, command.user_id, parsed.agentId));
        }
        case 'launch': {
          const { agent, queuedBehind } = await launchFromCommand(ctx, {
            teamId, channelId: command.channel_id, userId: command.user_id, userName: command.user_name, text: parsed.text, ack: () => ackOnce(),
          });
          log.info({ agentId: agent.id }, 'agent launched from slack command');
          if (queuedBehind > 0) await tell(`Your agent waits for ${queuedBehind} running agent${queuedBehind > 1 ? 's' : ''} to finish first.`);
          return;
        }
      }
    } catch (error) {
      if (!isErrandError(error)) log.error({ err: error }, 'slack command failed');
      await tell(explain(error)).catch((e: unknown) => log.warn({ err: e }, 'could not tell the person about a failed command'));
    }
  });

  app.event('app_mention', async ({ event, body }) => {
    const envelope = Envelope.parse(body);
    const parsedEvent = MessageEvent.safeParse(event);
    if (!parsedEvent.success || !parsedEvent.data.user) return;
    const message = parsedEvent.data;
    const user = message.user!;
    const teamId = envelope.team_id ?? message.team ?? '';
    const external = await noteExternal(ctx, teamId, message.channel, envelope.is_ext_shared_channel);
    const threadTs = message.thread_ts ?? message.ts;
    const conversation = slackThread(teamId, message.channel, threadTs, external);
    const text = stripMention(message.text ?? '', ctx.botUserId);
    const parsed = parseCommand(text);
    const reply = (t: string) => whisper(ctx, message.channel, user, t, message.thread_ts);
    try {
      const existing = message.thread_ts ? await ctx.agents.findByConversation(conversation) : null;
      switch (parsed.kind) {
        case 'help':
          return await reply(helpText);
        case 'list': {
          const page = await ctx.agents.list({ owner: ctx.people.quick(teamId, user, undefined), limit: 10 });
          const lines = agentLines(page.agents, ctx.publicUrl);
          return await reply(lines.length ? `*Your recent agents*\n${lines.join('\n')}` : 'You have no agents yet.');
        }
        case 'settings':
          return await reply('Type `/agent settings` to open the settings.');
        case 'stop': {
          const id = parsed.agentId ?? existing?.id;
          if (!id) return await reply(await stopHint(ctx, teamId, user, undefined));
          return await reply(await stopAgent(ctx, teamId, user, id));
        }
        case 'launch': {
          if (existing && !parsed.forceNew) return await followUp(ctx, existing, message, user, conversation, text);
          const person = await ctx.people.get(teamId, user);
          const { agent } = await launchFromMention(ctx, {
            teamId, channelId: message.channel, principal: person.principal, text: parsed.text, threadTs, messageTs: message.ts, inThread: Boolean(message.thread_ts), external,
          });
          ctx.log.info({ agentId: agent.id, teamId }, 'agent launched from slack mention');
          return;
        }
      }
    } catch (error) {
      if (!isErrandError(error)) ctx.log.error({ err: error, teamId }, 'slack mention failed');
      await reply(explain(error));
    }
  });

  // Replies in an agent's thread are follow-ups. Edits, deletions, joins (subtypes), bots, our own
  // messages and mentions of us (handled above) are not.
  app.message(async ({ message, body }) => {
    const parsed = MessageEvent.safeParse(message);
    if (!parsed.success) return;
    const m = parsed.data;
    if (m.subtype || m.bot_id || !m.user || m.user === ctx.botUserId || !m.thread_ts || m.thread_ts === m.ts) return;
    if ((m.text ?? '').includes(`<@${ctx.botUserId}`)) return;
    const envelope = Envelope.parse(body);
    const teamId = envelope.team_id ?? m.team ?? '';
    const external = await noteExternal(ctx, teamId, m.channel, envelope.is_ext_shared_channel);
    const conversation = slackThread(teamId, m.channel, m.thread_ts, external);
    const agent = await ctx.agents.findByConversation(conversation);
    if (!agent) return;
    try {
      await followUp(ctx, agent, m, m.user, conversation, m.text ?? '');
    } catch (error) {
      if (!isErrandError(error)) ctx.log.error({ err: error, agentId: agent.id }, 'slack follow-up failed');
      await whisper(ctx, m.channel, m.user, explain(error), m.thread_ts);
    }
  });

  app.action(actionIds.stop, async ({ ack, body, action }) => {
    await ack();
    const agentId = 'value' in action && typeof action.value === 'string' ? action.value : '';
    const teamId = body.team?.id ?? '';
    const text = await stopAgent(ctx, teamId, body.user.id, agentId);
    const channel = body.channel?.id;
    if (channel) await whisper(ctx, channel, body.user.id, text, threadOf(body));
  });
  // Link buttons still send an action; acknowledging it keeps Slack from showing a warning.
  for (const id of [actionIds.open, actionIds.pr]) app.action(id, async ({ ack }) => void (await ack()));

  app.view(settingsCallbackId, async ({ ack, body, view }) => {
    const teamId = body.team?.id ?? view.team_id;
    const submission = await readSettingsSubmission(ctx, teamId, body.user.id, view.private_metadata, view.state.values);
    if (!submission.ok) return await ack({ response_action: 'errors', errors: submission.errors });
    await ack();
    await submission.save(ctx);
  });

  app.event('app_home_opened', async ({ event, body }) => {
    if (event.tab !== 'home') return;
    const teamId = Envelope.parse(body).team_id ?? '';
    const page = await ctx.agents.list({ owner: ctx.people.quick(teamId, event.user, undefined), limit: 20 });
    await ctx.client.views.publish({ user_id: event.user, view: homeView(page.agents, ctx.publicUrl) });
  });

  // Sharing changes what a channel may see; re-check with conversations.info rather than trust the event.
  const recheck = async (channel: string, teamId: string) => {
    const info = await ctx.client.conversations.info({ channel });
    await ctx.state.setChannelExternal(teamId, channel, Boolean(info.channel?.is_ext_shared));
  };
  app.event('channel_shared', async ({ event, body }) => recheck(event.channel, Envelope.parse(body).team_id ?? ''));
  app.event('channel_unshared', async ({ event, body }) => recheck(event.channel, Envelope.parse(body).team_id ?? ''));
}

/** The event says whether the channel is shared; remember a `true` so slash commands know too. */
async function noteExternal(ctx: SlackContext, teamId: string, channel: string, flag: boolean | undefined): Promise<boolean> {
  if (flag) {
    if ((await ctx.state.channelExternal(teamId, channel)) !== true) await ctx.state.setChannelExternal(teamId, channel, true);
    return true;
  }
  return (await ctx.state.channelExternal(teamId, channel)) ?? false;
}

async function followUp(ctx: SlackContext, agent: Agent, message: MessageEvent, user: string, conversation: SlackThread, text: string): Promise<void> {
  const person = await ctx.people.get(conversation.teamId, user);
  const result = await ctx.agents.followUp(agent.id, person.principal, text, conversation, person.platformAdmin);
  const answer = result.resumed
    ? ':arrows_counterclockwise: Resuming the agent on its branch with your message.'
    : `:inbox_tray: Queued (#${result.position}): the agent reads it before its next step.`;
  await postMessage(ctx.poster, { channel: message.channel, thread_ts: conversation.threadTs, text: answer, unfurl_links: false });
}

async function stopAgent(ctx: SlackContext, teamId: string, userId: string, agentId: string): Promise<string> {
  try {
    const person = await ctx.people.get(teamId, userId);
    const agent = await ctx.agents.stop(agentId, person.principal, person.platformAdmin);
    return agent.status === 'stopped' ? `:octagonal_sign: Stopped \`${agent.id}\`.` : `:octagonal_sign: Stopping \`${agent.id}\`: it pushes what it has and stops.`;
  } catch (error) {
    return explain(error);
  }
}

async function stopHint(ctx: SlackContext, teamId: string, userId: string, userName: string | undefined): Promise<string> {
  const page = await ctx.agents.list({ owner: ctx.people.quick(teamId, userId, userName), status: ['queued', 'preparing', 'running'], limit: 10 });
  if (page.agents.length === 0) return 'You have no running agents.';
  return `Which one? \`/agent stop <id>\`, or reply \`@errand stop\` in its thread. Running: ${page.agents.map((a) => `\`${a.id}\` (${escape(a.title)})`).join(', ')}`;
}

function threadOf(body: unknown): string | undefined {
  const message = (body as { message?: { thread_ts?: unknown; ts?: unknown } }).message;
  const ts = message?.thread_ts ?? message?.ts;
  return typeof ts === 'string' ? ts : undefined;
}
