import type { StoredAuditEntry } from '../../../core/index.js';
import { html, type SafeHtml } from '../html.js';
import { ago } from './parts.js';

const actionLabels: Record<string, string> = {
  'agent.launch': 'started agent',
  'agent.follow_up': 'followed up',
  'agent.stop': 'stopped agent',
  'agent.delete': 'deleted agent',
  'agent.snapshot': 'saved machine as snapshot',
  'agent.terminal_open': 'opened the web terminal',
  'agent.terminal_close': 'closed the web terminal',
  'settings.update': 'changed settings',
  'secret.set': 'set secret',
  'secret.remove': 'removed secret',
};

export function auditBody(workspace: string, entries: StoredAuditEntry[], nextBefore: string | null, now: Date): SafeHtml {
  return html`<h1>Audit log</h1>
<p class="muted">Who did what in workspace <code>${workspace}</code>, newest first. Names only, never values.</p>
<table class="audit">
  <caption class="visually-hidden">Audit entries</caption>
  <thead><tr><th scope="col">When</th><th scope="col">Who</th><th scope="col">What</th><th scope="col">Target</th></tr></thead>
  <tbody>
  ${entries.length === 0 ? html`<tr class="empty"><td colspan="4">Nothing recorded yet.</td></tr>` : ''}
  ${entries.map(
    (entry) => html`<tr>
    <td data-label="When">${ago(entry.at, now)}</td>
    <td data-label="Who" title="${entry.actor}">${entry.actorName}</td>
    <td data-label="What">${actionLabels[entry.action] ?? entry.action}</td>
    <td data-label="Target">${entry.action.startsWith('agent.') ? entry.target.map((id) => html`<a class="mono" href="/agents/${id}">${id}</a> `) : html`<code>${entry.target.join(', ')}</code>`}${entry.repo ? html` in <code>${entry.repo}</code>` : ''}${entry.terminal ? html` <span class="muted">(${entry.terminal.mode === 'type' ? 'typing' : 'read-only'}${entry.terminal.seconds === undefined ? '' : `, ${entry.terminal.seconds} s`})</span>` : ''}</td>
  </tr>`,
  )}
  </tbody>
</table>
${nextBefore && html`<p><a class="button" href="/audit?before=${encodeURIComponent(nextBefore)}">Older entries</a></p>`}`;
}
