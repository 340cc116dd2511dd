import type { types } from '@slack/bolt';
import { repoLabel, type Agent, type AgentStatus, type CurrentStep, type StoredEvent, type View } from '../../core/index.js';
import { escapeMrkdwn, markdownToMrkdwn } from './mrkdwn.js';

type KnownBlock = types.KnownBlock;

/** One Slack message: fallback text (notifications, screen readers) and Block Kit blocks. */
export interface SlackMessage {
  text: string;
  blocks: KnownBlock[];
}

/** Slack's limits: 3,000 characters in a section's text, 50 blocks in a message. */
export const sectionLimit = 3000;
export const blocksPerMessage = 50;

export const actionIds = { stop: 'errand_stop', open: 'errand_open', pr: 'errand_pr', settings: 'errand_open_settings' } as const;

const statusLabel: Record<AgentStatus, string> = {
  queued: ':hourglass_flowing_sand: Queued',
  preparing: ':hourglass_flowing_sand: Preparing the environment',
  running: ':hourglass_flowing_sand: Working',
  finished: ':white_check_mark: Finished',
  failed: ':x: Failed',
  stopped: ':octagonal_sign: Stopped',
  expired: ':wastebasket: Expired',
};

/** The reaction the status message wears in each state. */
export function reactionFor(status: AgentStatus): string {
  if (status === 'finished') return 'white_check_mark';
  if (status === 'failed' || status === 'stopped') return 'x';
  if (status === 'expired') return 'wastebasket';
  return 'hourglass_flowing_sand';
}

/** Slack mrkdwn treats &, < and > as control characters. */
export const escape = escapeMrkdwn;

/** "Now running `npm test`": the step in flight, in the status message (full view only). */
export function stepLine(step: CurrentStep): string {
  const detail = step.detail ? ` \`${escape(step.detail).replace(/`/g, 'ˋ')}\`` : '';
  return `:gear: Now ${escape(step.verb)}${detail}`;
}

export function agentUrl(publicUrl: string | undefined, agentId: string): string | null {
  return publicUrl ? `${publicUrl.replace(/\/+$/, '')}/agents/${agentId}` : null;
}

/** The status message: task, repo, branch, model, status, and the buttons. Edited in place. */
export function statusMessage(agent: Agent, view: View, publicUrl: string | undefined, step: CurrentStep | null = null): SlackMessage {
  const repo = agent.repo ? repoLabel(agent.repo) : 'no repository';
  const fields = [
    `*Repo*\n${escape(repo)}`,
    `*Branch*\n\`${escape(agent.branch)}\``,
    `*Model*\n${escape(agent.model)}`,
    `*Status*\n${statusLabel[agent.status]}`,
  ];
  const blocks: KnownBlock[] = [
    { type: 'section', text: { type: 'mrkdwn', text: truncate(`*${escape(agent.title)}*`, sectionLimit) } },
    { type: 'section', fields: fields.map((text) => ({ type: 'mrkdwn' as const, text: truncate(text, 2000) })) },
  ];
  if (step && view === 'full' && agent.status === 'running') {
    blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: truncate(stepLine(step), sectionLimit) }] });
  }
  if (agent.error) {
    const detail = view === 'full' ? `${agent.error.code}: ${agent.error.message}` : agent.error.code;
    blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: truncate(`:warning: ${escape(detail)}`, sectionLimit) }] });
  }
  const buttons = [];
  if (agent.status === 'queued' || agent.status === 'preparing' || agent.status === 'running') {
    buttons.push({ type: 'button' as const, action_id: actionIds.stop, text: { type: 'plain_text' as const, text: 'Stop' }, style: 'danger' as const, value: agent.id });
  }
  const open = agentUrl(publicUrl, agent.id);
  if (open) buttons.push({ type: 'button' as const, action_id: actionIds.open, text: { type: 'plain_text' as const, text: 'Open' }, url: open, value: agent.id });
  if (agent.prUrl) buttons.push({ type: 'button' as const, action_id: actionIds.pr, text: { type: 'plain_text' as const, text: 'View PR' }, url: agent.prUrl, value: agent.id });
  if (buttons.length > 0) blocks.push({ type: 'actions', block_id: `errand_agent_${agent.id}`, elements: buttons });
  blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `\`${agent.id}\` · started by <@${agent.owner.id}>` }] });
  // The fallback text is mrkdwn too (notifications, screen readers): escaped like the blocks, so it cannot ping.
  return { text: `${escape(agent.title)}: ${statusLabel[agent.status].replace(/^:[a-z_]+: /, '')}`, blocks };
}

/** A thread reply for an event, or null when the event has none (status changes, logs, tool steps). */
export function replyFor(event: StoredEvent, agent: Agent, view: View): SlackMessage[] | null {
  switch (event.type) {
    case 'milestone':
      return [plain(milestoneText(event, view))];
    case 'error':
      return [plain(view === 'full' ? `:x: ${event.code}: ${escape(event.message)}` : `:x: The agent hit an error (${event.code}).`)];
    case 'summary':
      return summaryMessages(event, agent, view);
    default:
      return null;
  }
}

function milestoneText(event: Extract<StoredEvent, { type: 'milestone' }>, view: View): string {
  switch (event.name) {
    case 'environment_ready':
      return event.data?.cached === true ? ':package: Environment ready (from the cache)' : ':package: Environment ready';
    case 'install_cached':
      return ':package: Dependencies restored from the cache';
    case 'pushed': {
      const branch = typeof event.data?.branch === 'string' ? ` \`${escape(event.data.branch)}\`` : ' the branch';
      const sha = typeof event.data?.sha === 'string' && event.data.sha ? ` at \`${escape(event.data.sha.slice(0, 12))}\`` : '';
      return `:arrow_up: Pushed${branch}${sha}`;
    }
    case 'pr_opened':
      return `:rocket: Pull request opened${prLink(event.data)}`;
    case 'pr_updated':
      return `:rocket: Pull request updated${prLink(event.data)}`;
    case 'resumed':
      return ':arrows_counterclockwise: Resumed with a follow-up';
    case 'stop_requested':
      return view === 'full' ? `:octagonal_sign: ${escape(event.text)}` : ':octagonal_sign: Asked to stop';
    case 'mode_changed':
      return `:twisted_rightwards_arrows: Switched to ${escape(String(event.data?.mode ?? 'another'))} mode`;
    case 'artifacts_collected':
      return `:paperclip: ${escape(event.text)}`;
  }
}

function prLink(data: Record<string, string | number | boolean> | undefined): string {
  const url = data?.url ?? data?.prUrl;
  return typeof url === 'string' ? `: <${url}>` : '';
}

/**
 * The final summary. `status` view: outcome and links only. Privacy-mode agents never post code
 * (fenced blocks) or paths (the diffstat), wherever the thread is. Long summaries are cut into
 * sections within Slack's limits and into several messages when they pass 50 blocks.
 */
export function summaryMessages(event: Extract<StoredEvent, { type: 'summary' }>, agent: Agent, view: View): SlackMessage[] {
  const links = [`Branch \`${escape(event.branch)}\``];
  if (event.prUrl) links.push(`<${event.prUrl}|Pull request>`);
  for (const extra of agent.extraRepos ?? []) if (extra.prUrl) links.push(`<${extra.prUrl}|Pull request in ${escape(repoLabel(extra.repo))}>`);
  const headline = `:memo: *Summary* · ${links.join(' · ')}`;
  if (view === 'status') return [{ text: 'The agent is done', blocks: [section(headline)] }];

  let body = event.text;
  if (agent.privacy) body = body.replace(/```[\s\S]*?```/g, '_(code omitted: privacy mode)_');
  const parts = [headline, ...splitText(markdownToMrkdwn(body), sectionLimit - 100)];
  if (event.diffstat && !agent.privacy) parts.push(...splitText('```\n' + escape(event.diffstat) + '\n```', sectionLimit - 100));
  const messages: SlackMessage[] = [];
  for (let i = 0; i < parts.length; i += blocksPerMessage) {
    const chunk = parts.slice(i, i + blocksPerMessage);
    messages.push({ text: i === 0 ? `Summary: ${escape(truncate(body, 200))}` : 'Summary (continued)', blocks: chunk.map(section) });
  }
  return messages;
}

/** Splits at line breaks (or hard, for very long lines) into pieces of at most `max` characters. */
export function splitText(text: string, max: number): string[] {
  const pieces: string[] = [];
  let current = '';
  for (const line of text.split('\n')) {
    let rest = line;
    while (rest.length > max) {
      if (current) pieces.push(current);
      current = '';
      pieces.push(rest.slice(0, max));
      rest = rest.slice(max);
    }
    const next = current ? `${current}\n${rest}` : rest;
    if (next.length > max) {
      pieces.push(current);
      current = rest;
    } else {
      current = next;
    }
  }
  if (current.trim()) pieces.push(current);
  return pieces.filter((p) => p.trim());
}

function section(text: string): KnownBlock {
  return { type: 'section', text: { type: 'mrkdwn', text } };
}

function plain(text: string): SlackMessage {
  return { text: text.replace(/:[a-z_]+: /, ''), blocks: [section(truncate(text, sectionLimit))] };
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** `/agent list` and App Home: one line per agent with status and links. */
export function agentLines(agents: Agent[], publicUrl: string | undefined): string[] {
  return agents.map((agent) => {
    const open = agentUrl(publicUrl, agent.id);
    const links = [open ? `<${open}|open>` : null, agent.prUrl ? `<${agent.prUrl}|PR>` : null].filter(Boolean).join(' · ');
    const repo = agent.repo ? ` · ${escape(repoLabel(agent.repo))}` : '';
    return `${statusLabel[agent.status]} · *${escape(agent.title)}*${repo} · \`${agent.id}\`${links ? ` · ${links}` : ''}`;
  });
}

export function listMessage(agents: Agent[], publicUrl: string | undefined): SlackMessage {
  if (agents.length === 0) return { text: 'You have no agents yet.', blocks: [section('You have no agents yet. Start one with `/agent repo=owner/name what to do`.')] };
  const lines = agentLines(agents, publicUrl);
  return { text: `Your ${agents.length} most recent agents`, blocks: [section('*Your recent agents*'), ...splitText(lines.join('\n'), sectionLimit).map(section)] };
}

export function homeView(agents: Agent[], publicUrl: string | undefined): { type: 'home'; blocks: KnownBlock[] } {
  const blocks: KnownBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: 'Your agents' } },
    ...(agents.length === 0
      ? [section('No agents yet. Type `/agent repo=owner/name what to do` in a channel, or mention @errand.')]
      : splitText(agentLines(agents, publicUrl).join('\n'), sectionLimit).slice(0, 45).map(section)),
  ];
  return { type: 'home', blocks };
}

export const helpText = [
  '*Errand runs coding agents in the background and answers with a pull request.*',
  '• `/agent [repo=owner/name branch=main model=provider:name] what to do`: start an agent (also `@errand what to do`)',
  '• Options: `repo=`, `branch=` (base branch), `model=`, `mode=agent|ask|plan`, `autopr=true|false`, `privacy=true|false`',
  '• Reply in an agent\'s thread to follow up; a finished agent resumes on its branch',
  '• `@errand agent what to do` in a thread starts a new agent there, with the thread as context',
  '• `/agent list`: your recent agents · `/agent stop [id]`: stop an agent · `/agent settings`: defaults for this channel and workspace',
].join('\n');
