import { agentRepositories, currentStep, isActive, repoLabel, type Agent, type LogPhase, type StoredEvent, type TerminalAccess } from '../../../core/index.js';
import type { Scrubber } from '../../../redact/scrubber.js';
import { html, type SafeHtml } from '../html.js';
import type { Viewer } from '../auth.js';
import { csrfField } from './layout.js';
import { environmentPhases, logsByPhase, logSections, phaseLabel, transcript, transcriptVisible, visibleEvents } from './events.js';
import { ago, ordinal, sourceLinks, statusBadge } from './parts.js';
import { terminalLink } from './terminal-page.js';

/** Where a queued agent stands. */
export interface QueueState {
  /** 1 = next to start. */
  position: number;
  /** Agents of the workspace preparing or running now. */
  running: number;
}

export interface AgentView {
  agent: Agent;
  events: StoredEvent[];
  queue: QueueState | null;
  scrubber: Scrubber;
  now: Date;
  githubWebUrl: string;
  /** What the viewer may do in the web terminal (the page links to it). */
  terminal?: TerminalAccess | null;
}

const preparePhases: readonly LogPhase[] = ['environment', 'build', 'install', 'start'];

function lastLines(lines: string[] | undefined, count: number): string {
  return (lines ?? []).slice(-count).join('\n');
}

/** The phase the latest log line came from (the step in progress, or the one that failed). */
function latestPhase(events: StoredEvent[], phases: readonly LogPhase[]): LogPhase | null {
  for (let i = events.length - 1; i >= 0; i -= 1) {
    const event = events[i]!;
    if (event.type === 'log' && phases.includes(event.phase)) return event.phase;
  }
  return null;
}

/** Progress and errors in words: where it is in line, what is installing, what failed and its last lines. */
function progress(view: AgentView): SafeHtml {
  const { agent, events, scrubber } = view;
  const s = (text: string) => scrubber.scrub(text);
  const logs = logsByPhase(events, environmentPhases);
  const stopping = isActive(agent.status) && stopRequestedSinceLastStatus(events);
  if (stopping) return html`<p class="progress">Stopping: the agent finishes its current step, pushes what it has and stops.</p>`;
  switch (agent.status) {
    case 'queued': {
      const q = view.queue;
      return html`<p class="progress">Waiting for a worker${q ? html`: <strong>${ordinal(q.position)} in line</strong> in this workspace, ${q.running} running now` : ''}.</p>`;
    }
    case 'preparing': {
      const phase = latestPhase(events, preparePhases);
      const cached = events.some((e) => e.type === 'milestone' && e.name === 'install_cached');
      const installing = logs.has('install');
      const install = cached
        ? 'Install: cached — reusing the snapshot from an earlier run.'
        : installing
          ? 'Install: running (not cached; the result is saved as a snapshot for next time).'
          : null;
      return html`<div class="progress"><p>Preparing the environment${phase ? html`: <strong>${phaseLabel(phase)}</strong>` : ''}.</p>${install && html`<p>${install}</p>`}${phase && html`<pre class="tail" aria-label="Latest ${phaseLabel(phase)} output">${s(lastLines(logs.get(phase), 6))}</pre>`}</div>`;
    }
    case 'running': {
      const step = currentStep(events);
      return html`<p class="progress">Working${agent.startedAt ? html` since ${ago(agent.startedAt, view.now)}` : ''}${step ? html`; now ${step.verb}${step.detail ? html` <code>${s(step.detail)}</code>` : ''}` : ''}.</p>`;
    }
    case 'failed': {
      const phase = latestPhase(events, environmentPhases);
      return html`<div class="progress failure" role="alert"><p><strong>Failed${phase ? html` during ${phaseLabel(phase).toLowerCase()}` : ''}</strong>${agent.error ? html`: ${s(agent.error.message)} <span class="muted">(${agent.error.code})</span>` : ''}</p>${phase && transcriptVisible(agent) && html`<pre class="tail" aria-label="Last lines of ${phaseLabel(phase)}">${s(lastLines(logs.get(phase), 15))}</pre>`}</div>`;
    }
    case 'stopped':
      return html`<p class="progress">Stopped${agent.finishedAt ? html` ${ago(agent.finishedAt, view.now)}` : ''}. ${pushedText(agent, events)} The container is kept for a while so you can attach.</p>`;
    case 'finished':
      return html`<p class="progress">Finished${agent.finishedAt ? html` ${ago(agent.finishedAt, view.now)}` : ''}.${agent.prUrl || agent.extraRepos?.some((extra) => extra.prUrl) ? '' : ' No pull request was opened.'}</p>`;
    case 'expired':
      return html`<p class="progress">Expired: the retention window has passed, so its container and transcript are gone.</p>`;
  }
}

/** Whether the diff view has something to show: the agent pushed its branch and keeps its diffs. */
function hasDiff(view: AgentView): boolean {
  return !view.agent.privacy && view.agent.repo !== null && view.events.some((e) => e.type === 'milestone' && e.name === 'pushed');
}

/** The commit this round pushed (the last `pushed` milestone since the agent was last queued), if any. */
export function lastPush(events: StoredEvent[]): { branch: string; sha: string } | null {
  for (let i = events.length - 1; i >= 0; i -= 1) {
    const event = events[i]!;
    if (event.type === 'status' && event.status === 'queued') return null;
    if (event.type === 'milestone' && event.name === 'pushed') return { branch: String(event.data?.branch ?? ''), sha: String(event.data?.sha ?? '') };
  }
  return null;
}

/** What the run left on its branch, in words: the branch and commit, or that nothing was pushed. */
function pushedText(agent: Agent, events: StoredEvent[]): SafeHtml {
  const push = lastPush(events);
  if (push) return html`Its work was pushed to <code>${push.branch || agent.branch}</code>${push.sha ? html` at <code>${push.sha.slice(0, 12)}</code>` : ''}.`;
  return html`Nothing was pushed.`;
}

function stopRequestedSinceLastStatus(events: StoredEvent[]): boolean {
  for (let i = events.length - 1; i >= 0; i -= 1) {
    const event = events[i]!;
    if (event.type === 'status') return false;
    if (event.type === 'milestone' && event.name === 'stop_requested') return true;
  }
  return false;
}

/** The part of the page that changes with the status: the badge, progress, outcome and Stop. Also served alone. */
export function agentStatus(view: AgentView, viewer: Viewer): SafeHtml {
  const { agent, events, scrubber } = view;
  const summary = [...events].reverse().find((e) => e.type === 'summary');
  const diffstat = summary?.type === 'summary' && transcriptVisible(agent) ? summary.diffstat : null;
  return html`<div id="agent-status" data-status="${agent.status}" data-active="${isActive(agent.status) ? 'yes' : 'no'}">
  <p class="status-line" aria-live="polite">${statusBadge(agent.status)} ${agent.privacy ? html`<span class="tag" title="No transcript, code or diffs are kept after the run">privacy mode</span>` : ''}</p>
  ${progress(view)}
  ${(agent.prUrl || diffstat || hasDiff(view)) && html`<div class="outcome">${agent.prUrl && html`<p><a class="button" href="${agent.prUrl}" rel="noopener noreferrer">Pull request${agent.prNumber ? ` #${agent.prNumber}` : ''}</a></p>`}${hasDiff(view) && html`<p><a class="button" href="/agents/${agent.id}/diff">View changes</a></p>`}${diffstat && html`<pre class="diffstat" aria-label="Diffstat">${scrubber.scrub(diffstat)}</pre>`}</div>`}
  ${isActive(agent.status) && html`<form method="post" action="/agents/${agent.id}/stop" class="stop">${csrfField(viewer)}<button type="submit" class="danger">Stop agent</button></form>`}
  ${agent.repo && ['running', 'finished', 'failed', 'stopped'].includes(agent.status) && html`<form method="post" action="/agents/${agent.id}/snapshot" class="snapshot">${csrfField(viewer)}<button type="submit" title="New agents for this repository in this workspace start from this machine">Save machine as snapshot</button></form>`}
</div>`;
}

export function agentPageBody(view: AgentView, viewer: Viewer, notice: string | null): SafeHtml {
  const { agent, scrubber } = view;
  const shown = visibleEvents(agent, view.events);
  const logs = logsByPhase(shown, environmentPhases);
  const terminals = logsByPhase(shown, ['terminal']);
  const lastId = view.events.at(-1)?.id ?? '';
  const openPhase = agent.status === 'preparing' || agent.status === 'failed' ? latestPhase(shown, environmentPhases) : null;
  return html`<article class="agent" data-agent="${agent.id}" data-last-event="${lastId}" data-live="${isActive(agent.status) ? 'yes' : 'no'}" data-privacy="${agent.privacy ? 'yes' : 'no'}">
<div class="heading">
  <h1>${scrubber.scrub(agent.title)}</h1>
</div>
${notice && html`<p class="notice" role="status">${notice}</p>`}
<div class="columns">
<div class="main-col">
  ${agentStatus(view, viewer)}
  <section aria-labelledby="h-conversation">
    <h2 id="h-conversation">Conversation</h2>
    ${!transcriptVisible(agent) && html`<p class="muted">Privacy mode: the conversation, tool steps and logs are not kept after the run.</p>`}
    <ol id="transcript" class="transcript">${transcript(agent, shown, scrubber, view.now)}</ol>
  </section>
  <section aria-labelledby="h-followup" class="followup">
    <h2 id="h-followup">Follow up</h2>
    ${
      agent.status === 'expired'
        ? html`<p class="muted">This agent has expired; start a new one.</p>`
        : html`<form method="post" action="/agents/${agent.id}/follow-up">
      ${csrfField(viewer)}
      <label for="followup-text">${isActive(agent.status) ? 'Message for the agent (read before its next step)' : 'Message (resumes the agent on its branch)'}</label>
      <textarea id="followup-text" name="text" rows="3" required></textarea>
      <button type="submit">Send follow-up</button>
    </form>`
    }
  </section>
  <section aria-labelledby="h-logs">
    <h2 id="h-logs">Environment and logs</h2>
    <div id="logs" class="logs">${logs.size > 0 ? logSections(logs, scrubber, openPhase) : html`<p class="muted empty-note">No environment output yet.</p>`}</div>
  </section>
  <section aria-labelledby="h-terminals">
    <h2 id="h-terminals">Terminals</h2>
    <div id="terminals" class="logs">${terminals.size > 0 ? logSections(terminals, scrubber, 'terminal') : html`<p class="muted empty-note">No terminal output yet.</p>`}</div>
  </section>
</div>
<aside class="side" aria-label="Details">
  <dl class="facts">
    <dt>${agent.extraRepos?.length ? 'Repositories' : 'Repository'}</dt><dd class="mono">${agent.extraRepos?.length ? repositoryList(agent) : agent.repo ? repoLabel(agent.repo) : 'none'}</dd>
    <dt>Branch</dt><dd class="mono">${agent.branch}</dd>
    <dt>Base</dt><dd class="mono">${agent.baseBranch ?? 'default branch'}</dd>
    <dt>Model</dt><dd class="mono">${agent.model}</dd>
    <dt>Mode</dt><dd>${agent.mode === 'ask' ? 'Ask (answers, no changes)' : 'Agent (edits and pushes)'}</dd>
    <dt>Started by</dt><dd>${agent.owner.name}</dd>
    <dt>From</dt><dd class="sources">${sourceLinks(agent, view.githubWebUrl)}</dd>
    <dt>Created</dt><dd>${ago(agent.createdAt, view.now)}</dd>
    <dt>Tokens</dt><dd>${agent.usage.inputTokens.toLocaleString('en')} in, ${agent.usage.outputTokens.toLocaleString('en')} out</dd>
  </dl>
  <div class="attach">
    <label for="attach-cmd">Take over the machine</label>
    ${terminalLink(agent, view.terminal ?? null)}
    <div class="copy-row"><input id="attach-cmd" class="mono" readonly value="errand attach ${agent.id}"><button type="button" data-copy="attach-cmd">Copy</button></div>
  </div>
</aside>
</div>
</article>`;
}

/** A multi-repository agent's repositories: each with its folder in the machine and its pull request. */
function repositoryList(agent: Agent): SafeHtml {
  return html`<ul class="repositories">${agentRepositories(agent).map((r) => html`<li>${repoLabel(r.repo)} <span class="muted">${r.dir}</span>${r.prUrl ? html` <a href="${r.prUrl}" rel="noopener noreferrer">PR${r.prNumber ? ` #${r.prNumber}` : ''}</a>` : ''}</li>`)}</ul>`;
}
