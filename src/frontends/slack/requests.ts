import type { Agent, SlackThread } from '../../core/index.js';
import { escape } from './blocks.js';
import type { SlackContext } from './context.js';
import { explain } from './errors.js';
import { postMessage } from './post-once.js';

/** The event says whether the channel is shared; remember a `true` so slash commands know too. */
export async function noteExternal(ctx: SlackContext, teamId: string, channel: string, flag: boolean | undefined): Promise<boolean> {
  if (flag) {
    if ((await ctx.state.channelExternal(teamId, channel)) !== true) await ctx.state.setChannelExternal(teamId, channel, true);
    return true;
  }
  return (await ctx.state.channelExternal(teamId, channel)) ?? false;
}

/**
 * A reply or mention in an agent's thread: queued for it, or resuming it; said in the thread.
 * `eventId` makes a retried job queue nothing twice.
 */
export async function followUp(ctx: SlackContext, agent: Agent, user: string, conversation: SlackThread, text: string, eventId: string): Promise<void> {
  const person = await ctx.people.get(conversation.teamId, user);
  const result = await ctx.agents.followUp(agent.id, person.principal, text, conversation, person.platformAdmin, { requestId: `slack:${eventId}` });
  const answer = result.resumed
    ? ':arrows_counterclockwise: Resuming the agent on its branch with your message.'
    : `:inbox_tray: Queued (#${result.position}): the agent reads it before its next step.`;
  await postMessage(ctx.poster, { channel: conversation.channelId, thread_ts: conversation.threadTs, text: answer, unfurl_links: false });
}

export async function stopAgent(ctx: SlackContext, teamId: string, userId: string, agentId: string): Promise<string> {
  try {
    const person = await ctx.people.get(teamId, userId);
    const agent = await ctx.agents.stop(agentId, person.principal, person.platformAdmin);
    return agent.status === 'stopped' ? `:octagonal_sign: Stopped \`${agent.id}\`.` : `:octagonal_sign: Stopping \`${agent.id}\`: it pushes what it has and stops.`;
  } catch (error) {
    return explain(error);
  }
}

export async function stopHint(ctx: SlackContext, teamId: string, userId: string, userName: string | undefined): Promise<string> {
  const page = await ctx.agents.list({ owner: ctx.people.quick(teamId, userId, userName), status: ['queued', 'preparing', 'running'], limit: 10 });
  if (page.agents.length === 0) return 'You have no running agents.';
  return `Which one? \`/agent stop <id>\`, or reply \`@errand stop\` in its thread. Running: ${page.agents.map((a) => `\`${a.id}\` (${escape(a.title)})`).join(', ')}`;
}
