import type { Agent, TerminalAccess } from '../../../core/index.js';
import type { Scrubber } from '../../../redact/scrubber.js';
import type { Viewer } from '../auth.js';
import { html, type SafeHtml } from '../html.js';
import { statusBadge } from './parts.js';

/** The link on the agent page: the web terminal, for people who may type or watch. */
export function terminalLink(agent: Agent, access: TerminalAccess | null): SafeHtml {
  if (!access || agent.status === 'expired') return html``;
  return html`<p class="open-terminal"><a class="button" href="/agents/${agent.id}/terminal">${access === 'type' ? 'Open terminal' : 'Watch terminal'}</a> <span class="muted">in the browser, or from a shell:</span></p>`;
}

/**
 * The web terminal: xterm.js in the page, talking over a WebSocket to the tmux session in the
 * agent's machine. Without JavaScript the page says how to attach from a shell instead.
 */
export function terminalPageBody(agent: Agent, access: TerminalAccess, viewer: Viewer, scrubber: Scrubber): SafeHtml {
  const mode = access === 'type' ? 'You can type: keystrokes go to the agent\'s machine.' : 'Read-only: you see what happens in the machine; what you type is not sent.';
  return html`<article class="terminal-page">
<p class="crumbs"><a href="/agents/${agent.id}">← ${scrubber.scrub(agent.title)}</a></p>
<div class="terminal-head">
  <h1>Terminal</h1>
  ${statusBadge(agent.status)}
  <span class="tag terminal-mode" data-mode="${access}">${access === 'type' ? 'typing' : 'read-only'}</span>
</div>
<p class="muted">${mode} This is the agent's tmux session (detach-safe: closing the page leaves it running). A stopped machine is started when you connect.</p>
<p id="terminal-status" class="terminal-status" role="status" aria-live="polite">Connecting…</p>
<div id="terminal" class="terminal-box" data-agent="${agent.id}" data-mode="${access}" data-csrf="${viewer.session.csrf}" data-tickets="/agents/${agent.id}/terminal/tickets" data-socket="/agents/${agent.id}/terminal/socket" aria-label="Terminal of agent ${agent.id}"><div class="terminal-screen"></div></div>
<p class="terminal-actions"><button type="button" id="terminal-reconnect" hidden>Reconnect</button></p>
<noscript><p>The web terminal needs JavaScript. From a shell with Errand: <code>errand attach ${agent.id}</code></p></noscript>
</article>`;
}

/** An agent whose machine is gone for good. */
export function terminalExpiredBody(agent: Agent, scrubber: Scrubber): SafeHtml {
  return html`<article class="terminal-page">
<p class="crumbs"><a href="/agents/${agent.id}">← ${scrubber.scrub(agent.title)}</a></p>
<h1>Terminal</h1>
<p role="alert">This agent expired: its machine was removed when its retention window ended, so there is nothing to open. Its branch${agent.prUrl ? ' and pull request' : ''} still hold${agent.prUrl ? '' : 's'} what it pushed.</p>
</article>`;
}
