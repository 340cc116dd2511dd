import { createHash } from 'node:crypto';
import { isErrandError, newAgentId } from '../../core/index.js';
import { slackTriggerKey, type SlackTriggerJob, type SlackTriggerMeta } from '../../queue/slack-trigger-queue.js';
import { agentLines, helpText } from './blocks.js';
import { parseCommand, stripMention } from './commands.js';
import { slackThread, whisper, type SlackContext } from './context.js';
import { explain, slackErrorCode } from './errors.js';
import { launchFromCommand, launchFromMention } from './launch.js';
import { followUp, noteExternal, stopAgent, stopHint } from './requests.js';

type CommandJob = Extract<SlackTriggerJob, { kind: 'command' }>;
type MessageJob = Extract<SlackTriggerJob, { kind: 'mention' | 'reply' }>;

/** Slack error answers that a later try may not get: retried like a broken connection. */
const passingSlackErrors = new Set(['ratelimited', 'internal_error', 'fatal_error', 'service_unavailable', 'request_timeout']);

/**
 * Whether another try cannot change the answer: the core refused (not allowed, unknown repo, no
 * prompt…) or Slack did (not in the channel…). Everything else — a Slack 5xx or broken
 * connection, Redis gone for a moment — is retried by the queue.
 */
export function isRefusal(error: unknown): boolean {
  if (isErrandError(error)) return error.code !== 'unavailable' && error.code !== 'internal';
  const slack = slackErrorCode(error);
  return slack !== null && !passingSlackErrors.has(slack);
}

/**
 * The agent a request launches, derived from the request's key: a retried job (the process died
 * after posting, or Slack failed mid-way) launches and posts for the same agent, never a second.
 */
export function agentIdFor(job: SlackTriggerJob): string {
  const digest = createHash('sha256').update(`slack:${job.teamId}:${slackTriggerKey(job)}`).digest();
  return newAgentId((size) => digest.subarray(0, size));
}

/** Runs one accepted Slack request (a job of the Slack trigger queue). */
export async function runSlackTrigger(ctx: SlackContext, job: SlackTriggerJob, meta: SlackTriggerMeta): Promise<void> {
  if (job.kind === 'command') return runCommand(ctx, job, meta);
  return runMessage(ctx, job, meta);
}

/** Refusals are told at once; other failures are retried, and told when no retry is left. */
async function failed(ctx: SlackContext, error: unknown, meta: SlackTriggerMeta, tell: (text: string) => Promise<void>, what: Record<string, unknown>): Promise<void> {
  if (isRefusal(error)) return tell(explain(error));
  ctx.log.warn({ err: error, attempt: meta.attempt, final: meta.final, ...what }, 'slack request failed');
  if (meta.final) await tell(explain(error));
  throw error;
}

async function runCommand(ctx: SlackContext, job: CommandJob, meta: SlackTriggerMeta): Promise<void> {
  const parsed = parseCommand(job.text);
  if (parsed.kind !== 'launch') return;
  const tell = (text: string) => respond(ctx, job.responseUrl, text);
  const id = agentIdFor(job);
  try {
    if (await ctx.agents.get(id)) return;
    const { agent, queuedBehind } = await launchFromCommand(ctx, { id, teamId: job.teamId, channelId: job.channelId, userId: job.userId, userName: job.userName, text: parsed.text });
    ctx.log.info({ agentId: agent.id, teamId: job.teamId, channelId: job.channelId }, 'agent launched from slack command');
    if (queuedBehind > 0) await tell(`Your agent waits for ${queuedBehind} running agent${queuedBehind > 1 ? 's' : ''} to finish first.`);
  } catch (error) {
    await failed(ctx, error, meta, tell, { teamId: job.teamId, channelId: job.channelId });
  }
}

async function runMessage(ctx: SlackContext, job: MessageJob, meta: SlackTriggerMeta): Promise<void> {
  const { teamId, channelId, userId } = job;
  const tell = (text: string) => whisper(ctx, channelId, userId, text, job.threadTs);
  try {
    const external = await noteExternal(ctx, teamId, channelId, job.external);
    if (job.kind === 'reply') {
      const conversation = slackThread(teamId, channelId, job.threadTs ?? job.ts, external);
      const agent = await ctx.agents.findByConversation(conversation);
      if (agent) await followUp(ctx, agent, userId, conversation, job.text, job.eventId);
      return;
    }
    // This mention launched its agent already (a retried job): that agent is no thread to follow up.
    const id = agentIdFor(job);
    if (await ctx.agents.get(id)) return;
    const threadTs = job.threadTs ?? job.ts;
    const conversation = slackThread(teamId, channelId, threadTs, external);
    const text = stripMention(job.text, ctx.botUserId);
    const parsed = parseCommand(text);
    const existing = job.threadTs ? await ctx.agents.findByConversation(conversation) : null;
    switch (parsed.kind) {
      case 'help':
        return await tell(helpText);
      case 'list': {
        const page = await ctx.agents.list({ owner: ctx.people.quick(teamId, userId, undefined), limit: 10 });
        const lines = agentLines(page.agents, ctx.publicUrl);
        return await tell(lines.length ? `*Your recent agents*\n${lines.join('\n')}` : 'You have no agents yet.');
      }
      case 'settings':
        return await tell('Type `/agent settings` to open the settings.');
      case 'stop': {
        const agentId = parsed.agentId ?? existing?.id;
        return await tell(agentId ? await stopAgent(ctx, teamId, userId, agentId) : await stopHint(ctx, teamId, userId, undefined));
      }
      case 'launch': {
        if (existing && !parsed.forceNew) return await followUp(ctx, existing, userId, conversation, text, job.eventId);
        const person = await ctx.people.get(teamId, userId);
        const { agent } = await launchFromMention(ctx, {
          id, teamId, channelId, principal: person.principal, platformAdmin: person.platformAdmin, text: parsed.text, threadTs, messageTs: job.ts, inThread: Boolean(job.threadTs), external,
        });
        ctx.log.info({ agentId: agent.id, teamId }, 'agent launched from slack mention');
        return;
      }
    }
  } catch (error) {
    await failed(ctx, error, meta, tell, { teamId, channelId, kind: job.kind });
  }
}

/**
 * Answers a slash command after its acknowledgement, through its response_url (ephemeral: only
 * the person sees it). The URL is never logged.
 */
export async function respond(ctx: SlackContext, responseUrl: string, text: string): Promise<void> {
  try {
    const response = await fetch(responseUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ response_type: 'ephemeral', text }) });
    if (!response.ok) ctx.log.warn({ status: response.status }, 'slack response_url refused an answer');
    await response.body?.cancel();
  } catch (error) {
    ctx.log.warn({ err: error instanceof Error ? error.message.replace(/https?:\/\/\S+/g, '<url>') : 'unknown' }, 'could not answer through response_url');
  }
}
