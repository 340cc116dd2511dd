import { agentStatuses, repoLabel, type Agent, type AgentStatus } from '../../../core/index.js';
import type { Scrubber } from '../../../redact/scrubber.js';
import { html, type SafeHtml } from '../html.js';
import { ago, sourceLinks, statusBadge, statusLabel } from './parts.js';

export interface ListFilters {
  q: string;
  /** A status name, `active`, or empty for all. */
  status: string;
  repo: string;
}

export function statusesOfFilter(filter: string): AgentStatus[] | undefined {
  if (filter === 'active') return ['queued', 'preparing', 'running'];
  return (agentStatuses as readonly string[]).includes(filter) ? [filter as AgentStatus] : undefined;
}

export function filterQuery(filters: ListFilters): string {
  const params = new URLSearchParams();
  if (filters.q) params.set('q', filters.q);
  if (filters.status) params.set('status', filters.status);
  if (filters.repo) params.set('repo', filters.repo);
  const text = params.toString();
  return text ? `?${text}` : '';
}

interface RowDeps {
  scrubber: Scrubber;
  githubWebUrl: string;
  now: Date;
}

/** The table's rows: also served alone, for the page's script to poll. */
export function agentRows(agents: Agent[], deps: RowDeps, filtered: boolean): SafeHtml {
  if (agents.length === 0) {
    return html`<tr class="empty"><td colspan="6">${filtered ? 'No agents match these filters.' : html`No agents yet. <a href="/agents/new">Start one</a>, or ask for one in Slack or on GitHub.`}</td></tr>`;
  }
  return html`${agents.map(
    (agent) => html`<tr data-id="${agent.id}">
  <td data-label="Agent"><a class="title" href="/agents/${agent.id}">${deps.scrubber.scrub(agent.title)}</a><div class="sub mono">${agent.branch}</div></td>
  <td data-label="Status">${statusBadge(agent.status)}${agent.privacy ? html` <span class="tag" title="Privacy mode: no transcript is kept after the run">private</span>` : ''}</td>
  <td data-label="Repository">${agent.repo ? html`<a href="/?repo=${encodeURIComponent(repoLabel(agent.repo))}" class="mono">${repoLabel(agent.repo)}</a>${agent.extraRepos?.length ? html` <span class="muted" title="${agent.extraRepos.map((extra) => repoLabel(extra.repo)).join(', ')}">+${agent.extraRepos.length}</span>` : ''}` : html`<span class="muted">none</span>`}</td>
  <td data-label="Who">${agent.owner.name}</td>
  <td data-label="From">${sourceLinks(agent, deps.githubWebUrl).slice(0, 1)}</td>
  <td data-label="Age">${ago(agent.createdAt, deps.now)}</td>
</tr>`,
  )}`;
}

export function agentsListBody(agents: Agent[], filters: ListFilters, deps: RowDeps & { nextCursor: string | null; pollMs: number; admin: boolean }): SafeHtml {
  const filtered = Boolean(filters.q || filters.status || filters.repo);
  const query = filterQuery(filters);
  return html`<div class="heading">
  <h1>Agents</h1>
  <a class="button primary" href="/agents/new">New agent</a>
</div>
<p class="muted">${deps.admin ? 'Every agent of your workspace, newest first.' : 'Your agents, newest first. Admins see everyone’s.'}</p>
<form class="filters" role="search" method="get" action="/" aria-label="Filter agents">
  <div class="field grow">
    <label for="f-q">Search titles and prompts</label>
    <input id="f-q" type="search" name="q" value="${filters.q}" placeholder="e.g. flaky login">
  </div>
  <div class="field">
    <label for="f-status">Status</label>
    <select id="f-status" name="status">
      <option value=""${filters.status === '' ? html` selected` : ''}>All</option>
      <option value="active"${filters.status === 'active' ? html` selected` : ''}>Active (queued, preparing, running)</option>
      ${agentStatuses.map((s) => html`<option value="${s}"${filters.status === s ? html` selected` : ''}>${statusLabel(s)}</option>`)}
    </select>
  </div>
  <div class="field">
    <label for="f-repo">Repository</label>
    <input id="f-repo" name="repo" value="${filters.repo}" placeholder="owner/name" autocomplete="off">
  </div>
  <div class="field actions">
    <button type="submit">Filter</button>
    ${filtered && html`<a href="/">Clear</a>`}
  </div>
</form>
<table class="agents">
  <caption class="visually-hidden">Agents${filtered ? ' matching the filters' : ''}; updates live</caption>
  <thead><tr><th scope="col">Agent</th><th scope="col">Status</th><th scope="col">Repository</th><th scope="col">Who</th><th scope="col">From</th><th scope="col">Age</th></tr></thead>
  <tbody id="agent-rows" data-poll="/agents/rows${query}" data-poll-ms="${deps.pollMs}">
${agentRows(agents, deps, filtered)}
  </tbody>
</table>
${deps.nextCursor && html`<p><a class="button" href="/${query ? `${query}&` : '?'}cursor=${encodeURIComponent(deps.nextCursor)}">Older agents</a></p>`}`;
}
