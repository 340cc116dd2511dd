import type { Agent, AgentStatus, Conversation } from '../../../core/index.js';
import { html, type SafeHtml } from '../html.js';

const statusLabels: Record<AgentStatus, string> = {
  queued: 'Queued',
  preparing: 'Preparing',
  running: 'Running',
  finished: 'Finished',
  failed: 'Failed',
  stopped: 'Stopped',
  expired: 'Expired',
};

export function statusLabel(status: AgentStatus): string {
  return statusLabels[status];
}

export function statusBadge(status: AgentStatus): SafeHtml {
  return html`<span class="badge s-${status}" data-status="${status}">${statusLabels[status]}</span>`;
}

/** "3 min ago"; the script keeps it fresh, the title holds the exact time. */
export function ago(iso: string, now: Date): SafeHtml {
  return html`<time datetime="${iso}" title="${iso.replace('T', ' ').slice(0, 19)} UTC" data-ago>${relative(iso, now)}</time>`;
}

export function relative(iso: string, now: Date): string {
  const seconds = Math.max(0, Math.round((now.getTime() - Date.parse(iso)) / 1000));
  if (seconds < 45) return 'just now';
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 36) return `${hours} h ago`;
  return `${Math.round(hours / 24)} days ago`;
}

export interface SourceLink {
  label: string;
  href: string | null;
  kind: Conversation['kind'];
}

/** Where the agent was asked for, with a link back to it when there is one. */
export function sourceOf(conversation: Conversation, githubWebUrl: string): SourceLink {
  switch (conversation.kind) {
    case 'slack':
      return {
        kind: 'slack',
        label: `Slack thread in ${conversation.channelId}`,
        href: `https://app.slack.com/client/${encodeURIComponent(conversation.teamId)}/${encodeURIComponent(conversation.channelId)}/thread/${encodeURIComponent(`${conversation.channelId}-${conversation.threadTs}`)}`,
      };
    case 'github':
      return {
        kind: 'github',
        label: `${conversation.repo}#${conversation.number}`,
        href: `${githubWebUrl}/${conversation.repo}/${conversation.isPullRequest ? 'pull' : 'issues'}/${conversation.number}`,
      };
    case 'api':
      return { kind: 'api', label: 'API', href: null };
  }
}

export function sourceLinks(agent: Agent, githubWebUrl: string): SafeHtml[] {
  return agent.conversations.map((c) => {
    const source = sourceOf(c, githubWebUrl);
    return source.href ? html`<a class="src src-${source.kind}" href="${source.href}" rel="noopener noreferrer">${source.label}</a>` : html`<span class="src src-${source.kind}">${source.label}</span>`;
  });
}

export function ordinal(n: number): string {
  const rem100 = n % 100;
  if (rem100 >= 11 && rem100 <= 13) return `${n}th`;
  return `${n}${['th', 'st', 'nd', 'rd'][n % 10] ?? 'th'}`;
}
