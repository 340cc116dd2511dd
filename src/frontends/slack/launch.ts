import { z } from 'zod';
import { conversationKey, type Agent, type Principal, type SlackThread } from '../../core/index.js';
import { statusMessage } from './blocks.js';
import { isExternalChannel, slackThread, type SlackContext } from './context.js';
import { statusField } from './notifier.js';
import { postOnce } from './post-once.js';
import { postRootOnce } from './post-root-once.js';

/** The longest thread we hand to an agent as context; the newest messages win. */
const maxContextChars = 20_000;

export interface CommandLaunch {
  /** The agent's id, derived from the command (see triggers.ts). */
  id: string;
  teamId: string;
  channelId: string;
  userId: string;
  userName: string | undefined;
  text: string;
}

/**
 * `/agent …`, in the command's job (the command was acknowledged already): the core checks the
 * request, then, before anything is stored, we post the root message in the channel; its ts names
 * the thread the agent lives in, so the agent is stored with a conversation that exists and the
 * dispatcher only ever edits it. If the post fails, nothing is stored.
 */
export async function launchFromCommand(ctx: SlackContext, input: CommandLaunch): Promise<{ agent: Agent; queuedBehind: number }> {
  // users.info (cached ten minutes): whether they are a workspace admin (who may always launch).
  const person = await ctx.people.lookup(input.teamId, input.userId, input.userName);
  const knownExternal = await ctx.state.channelExternal(input.teamId, input.channelId);
  return ctx.agents.launch({
    id: input.id,
    principal: person.principal,
    platformAdmin: person.platformAdmin,
    workspace: input.teamId,
    conversation: slackThread(input.teamId, input.channelId, '', knownExternal ?? false),
    text: input.text,
    openConversation: async (agent) => {
      const external = knownExternal ?? (await isExternalChannel(ctx, input.teamId, input.channelId));
      const message = statusMessage(agent, 'status', ctx.publicUrl);
      // The thread does not exist yet, so the root message is recorded under a field of its own
      // first, then under the conversation's status field (which names the thread).
      const ts = await postRootOnce(ctx.client, ctx.poster, ctx.state, { agentId: agent.id, field: 'root', channel: input.channelId }, message);
      const conversation = slackThread(input.teamId, input.channelId, ts, external);
      await ctx.state.set(agent.id, statusField(conversationKey(conversation)), ts);
      return conversation;
    },
  });
}

export interface MentionLaunch {
  /** The agent's id, derived from the event (see triggers.ts). */
  id: string;
  teamId: string;
  channelId: string;
  principal: Principal;
  text: string;
  /** The thread the mention is in: its root's ts, or the mention's own ts at the top level. */
  threadTs: string;
  /** The mention's ts, left out of the context. */
  messageTs: string;
  inThread: boolean;
  external: boolean;
  /** A Slack workspace admin or owner. */
  platformAdmin: boolean;
}

/**
 * `@errand …`: the thread (the mention's, or the one it was written in) is the conversation; the
 * thread so far becomes the agent's context; the status message is a reply in it, posted before
 * the agent is stored.
 */
export async function launchFromMention(ctx: SlackContext, input: MentionLaunch): Promise<{ agent: Agent; queuedBehind: number }> {
  const conversation: SlackThread = slackThread(input.teamId, input.channelId, input.threadTs, input.external);
  const context = input.inThread ? await threadContext(ctx, input.channelId, input.threadTs, input.messageTs) : undefined;
  return ctx.agents.launch({
    id: input.id,
    principal: input.principal,
    platformAdmin: input.platformAdmin,
    workspace: input.teamId,
    conversation,
    text: input.text,
    ...(context ? { context } : {}),
    openConversation: async (agent) => {
      const message = statusMessage(agent, 'status', ctx.publicUrl);
      const field = statusField(conversationKey(conversation));
      await postOnce(ctx.client, ctx.poster, ctx.state, { agentId: agent.id, field, channel: input.channelId, threadTs: input.threadTs }, message);
      return conversation;
    },
  });
}

const ReplyMessage = z.looseObject({
  ts: z.string(),
  text: z.string().optional(),
  user: z.string().optional(),
  bot_id: z.string().optional(),
  subtype: z.string().optional(),
});

/** The thread so far, as `<@U1>: text` lines, leaving out our own messages and the mention itself. */
export async function threadContext(ctx: SlackContext, channel: string, threadTs: string, exceptTs: string): Promise<string | undefined> {
  const lines: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await ctx.client.conversations.replies({ channel, ts: threadTs, limit: 200, ...(cursor ? { cursor } : {}) });
    for (const raw of page.messages ?? []) {
      const parsed = ReplyMessage.safeParse(raw);
      if (!parsed.success) continue;
      const message = parsed.data;
      if (message.ts === exceptTs || message.bot_id === ctx.botId || message.user === ctx.botUserId || !message.text?.trim()) continue;
      lines.push(`${message.user ? `<@${message.user}>` : 'bot'}: ${message.text.trim()}`);
    }
    cursor = page.response_metadata?.next_cursor || undefined;
  } while (cursor);
  if (lines.length === 0) return undefined;
  let text = lines.join('\n');
  if (text.length > maxContextChars) text = `…\n${text.slice(text.length - maxContextChars)}`;
  return `The Slack thread this request was made in:\n${text}`;
}
