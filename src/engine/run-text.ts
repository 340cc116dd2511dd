import { repoLabel, type Agent, type Conversation, type ExtraRepo } from '../core/index.js';
import type { DiffStat } from '../git/diffstat.js';

/** The commit message: the summary's first line as the title (≤ 72 chars), the rest as the body. */
export function commitMessage(summary: string, agent: Pick<Agent, 'id' | 'title'>, note?: string): string {
  const lines = summary.trim().split('\n');
  const first = (lines[0] ?? '').replace(/^#+\s*/, '').replace(/[*`]/g, '').trim();
  const title = shorten(first || agent.title || 'Errand changes', 72);
  const body = lines.slice(1).join('\n').trim();
  const parts = [note ? `${note}: ${title}` : title];
  if (body) parts.push(shorten(body, 4000));
  parts.push(`Errand agent: ${agent.id}`);
  return parts.join('\n\n');
}

/** "3 files changed, +12 −4" and one line per file (at most 50). */
export function formatDiffstat(stat: DiffStat): string | null {
  if (stat.files.length === 0) return null;
  const head = `${stat.files.length} file${stat.files.length === 1 ? '' : 's'} changed, +${stat.additions} −${stat.deletions}`;
  const lines = stat.files.slice(0, 50).map((f) => `  ${f.path}  ${f.additions === null ? 'binary' : `+${f.additions} −${f.deletions ?? 0}`}`);
  if (stat.files.length > 50) lines.push(`  … and ${stat.files.length - 50} more`);
  return [head, ...lines].join('\n');
}

export interface PrBodyInput {
  agent: Pick<Agent, 'id' | 'owner' | 'conversations' | 'repo'>;
  summary: string;
  diffstat: string | null;
  /** ERRAND_PUBLIC_URL: the agent's page is linked when set. */
  publicUrl?: string | undefined;
}

/** The draft PR's description: the summary, who asked and where, and `Fixes #n` for an issue. */
export function pullRequestBody({ agent, summary, diffstat, publicUrl }: PrBodyInput): string {
  const origin = agent.conversations[0];
  const where = origin ? conversationLink(origin, agent.repo?.fullName) : null;
  const footer = [`Requested by ${agent.owner.name}${where ? ` in ${where}` : ''}.`];
  // An agent asked for in an issue keeps one tracking comment there; the PR points to it.
  if (origin?.kind === 'github' && !origin.isPullRequest && where) footer.push(`Progress: the tracking comment in ${where}`);
  if (publicUrl) footer.push(`Agent: [${agent.id}](${publicUrl.replace(/\/+$/, '')}/agents/${agent.id})`);
  else footer.push(`Agent: \`${agent.id}\``);
  const parts = [summary.trim() || 'Changes made by an Errand agent.'];
  if (diffstat) parts.push(`<details><summary>Files changed</summary>\n\n\`\`\`\n${diffstat}\n\`\`\`\n</details>`);
  parts.push(`---\n${footer.join(' · ')}`);
  const fixes = fixesLine(agent);
  if (fixes) parts.push(fixes);
  return parts.join('\n\n');
}

/** A Markdown link (or GitHub reference) to the conversation the agent came from. */
export function conversationLink(conversation: Conversation, repo?: string): string | null {
  switch (conversation.kind) {
    case 'slack':
      return `[a Slack thread](https://app.slack.com/client/${conversation.teamId}/${conversation.channelId}/thread/${conversation.channelId}-${conversation.threadTs})`;
    case 'github':
      return conversation.repo.toLowerCase() === repo?.toLowerCase() ? `#${conversation.number}` : `${conversation.repo}#${conversation.number}`;
    case 'api':
      return null;
  }
}

/** `Fixes #n` when the agent was asked for in an issue (not a PR) of the same repository. */
export function fixesLine(agent: Pick<Agent, 'conversations' | 'repo'>): string | null {
  const origin = agent.conversations[0];
  if (origin?.kind !== 'github' || origin.isPullRequest) return null;
  if (origin.repo.toLowerCase() !== agent.repo?.fullName?.toLowerCase()) return null;
  return `Fixes #${origin.number}`;
}

function shorten(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1).trimEnd()}…`;
}

/** How one repository of a multi-repository agent ended a run. */
export interface RepoOutcome {
  pushed: boolean;
  prUrl: string | null;
}

/**
 * The summary's list of a multi-repository agent's repositories: each with its pull request, or
 * that its branch was pushed, or that it was left unchanged. Null for one repository.
 */
export function repositoriesSection(agent: Pick<Agent, 'repo' | 'branch'>, primary: RepoOutcome | null, extras: { extra: ExtraRepo; outcome: RepoOutcome }[]): string | null {
  if (!agent.repo || extras.length === 0) return null;
  const line = (label: string, where: string, outcome: RepoOutcome | null) =>
    `- ${label} (${where}): ${outcome?.prUrl ? outcome.prUrl : outcome?.pushed ? `pushed \`${agent.branch}\`` : 'no changes'}`;
  return ['Repositories:', line(repoLabel(agent.repo), '/workspace', primary), ...extras.map(({ extra, outcome }) => line(repoLabel(extra.repo), `/workspace/${extra.path}`, outcome))].join('\n');
}
