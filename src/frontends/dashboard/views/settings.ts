import { networkInEffect, networkPolicy, type NetworkSupply, type Settings, type SettingsPatch } from '../../../core/index.js';
import { html, type SafeHtml } from '../html.js';
import type { Viewer } from '../auth.js';
import { csrfField } from './layout.js';

type Field =
  | { name: keyof Settings; kind: 'text' | 'number' | 'list' | 'map' | 'bool'; label: string; help: string }
  | { name: keyof Settings; kind: 'choice'; label: string; help: string; choices: [string, string][] };

/** Every setting the form shows, in the order people think about them. */
const fields: Field[] = [
  { name: 'defaultRepo', kind: 'text', label: 'Default repository', help: 'Used when a request names none (owner/name or a git URL).' },
  { name: 'baseBranch', kind: 'text', label: 'Base branch', help: 'Empty: each repository’s default branch.' },
  { name: 'protectedBranches', kind: 'list', label: 'Protected branches', help: 'Agents never push to these (one per line; * matches within a segment, ** across). The base and default branch always are.' },
  { name: 'defaultModel', kind: 'text', label: 'Default model', help: 'provider:model; empty: the server’s default.' },
  { name: 'channelRepos', kind: 'map', label: 'Repository per Slack channel', help: 'One per line: CHANNEL_ID = owner/name.' },
  { name: 'allowlist', kind: 'list', label: 'Who may start agents', help: 'One per line (slack:T1:U2, a user id or a login). Empty: everyone in the workspace.' },
  { name: 'admins', kind: 'list', label: 'Admins', help: 'One per line. Admins change settings and secrets and see every agent.' },
  { name: 'serviceAccounts', kind: 'list', label: 'Service accounts', help: 'Bots that may start agents and follow up.' },
  {
    name: 'teamFollowUps', kind: 'choice', label: 'Who may follow up and stop', help: 'Besides the agent’s owner and admins.',
    choices: [['owner', 'Only the owner'], ['service_accounts', 'The owner and service accounts'], ['everyone', 'Everyone who may start agents']],
  },
  { name: 'displaySummary', kind: 'bool', label: 'Post summaries', help: 'Show the summary, paths and diffs in threads; off: status and links only.' },
  { name: 'displaySummaryExternal', kind: 'bool', label: 'Post summaries in external channels', help: 'Slack Connect and other shared channels.' },
  { name: 'privacyMode', kind: 'bool', label: 'Privacy mode for new agents', help: 'No transcript, code or diffs kept after the run or posted externally.' },
  { name: 'retentionDays', kind: 'number', label: 'Retention (days)', help: 'How long agents, transcripts and containers are kept.' },
  { name: 'maxConcurrentPerWorkspace', kind: 'number', label: 'Agents at a time, workspace', help: 'Further agents wait in line.' },
  { name: 'maxConcurrentPerPerson', kind: 'number', label: 'Agents at a time, per person', help: '' },
  {
    name: 'networkInstall', kind: 'choice', label: 'Network during build, install and start', help: 'Through Errand’s egress proxy; private addresses and Errand itself are never reachable.',
    choices: [['full', 'Any public destination'], ['allowlist', 'Only the allowlist'], ['none', 'None']],
  },
  {
    name: 'networkAgent', kind: 'choice', label: 'Network for the agent’s commands and terminals', help: 'Blocked requests are listed in the summary.',
    choices: [['full', 'Any public destination'], ['allowlist', 'Only the allowlist'], ['none', 'None']],
  },
  {
    name: 'networkAllowlist', kind: 'list', label: 'Network allowlist',
    help: 'One per line: registry.npmjs.org, *.pypi.org, or preset:package-registries (npm, PyPI, crates.io, Go, RubyGems, Maven, Debian/Ubuntu, GitHub, GitLab).',
  },
];

function control(field: Field, settings: Settings): SafeHtml {
  const id = `s-${field.name}`;
  const value = settings[field.name];
  const described = field.help ? html` aria-describedby="${id}-help"` : '';
  switch (field.kind) {
    case 'text':
      return html`<input id="${id}" name="${field.name}" value="${String(value)}"${described} autocomplete="off">`;
    case 'number':
      return html`<input id="${id}" name="${field.name}" type="number" min="1" value="${String(value)}"${described} inputmode="numeric">`;
    case 'list':
      return html`<textarea id="${id}" name="${field.name}" rows="3"${described}>${(value as string[]).join('\n')}</textarea>`;
    case 'map':
      return html`<textarea id="${id}" name="${field.name}" rows="3"${described}>${Object.entries(value as Record<string, string>).map(([k, v]) => `${k} = ${v}`).join('\n')}</textarea>`;
    case 'bool':
      return html`<input id="${id}" name="${field.name}" type="checkbox"${value ? html` checked` : ''}${described}>`;
    case 'choice':
      return html`<select id="${id}" name="${field.name}"${described}>${field.choices.map(([v, label]) => html`<option value="${v}"${v === value ? html` selected` : ''}>${label}</option>`)}</select>`;
  }
}

export function settingsBody(viewer: Viewer, settings: Settings, notice: { text: string; error: boolean } | null, supply: NetworkSupply): SafeHtml {
  return html`<h1>Settings</h1>
<p class="muted">Workspace <code>${viewer.workspace}</code>. Changes apply to agents started afterwards.</p>
<p id="network-in-effect">Network in effect for agents: <strong>${networkInEffect(supply, networkPolicy(settings))}</strong>.</p>
${notice && html`<p class="notice${notice.error ? ' error' : ''}" role="${notice.error ? 'alert' : 'status'}">${notice.text}</p>`}
${
  !viewer.admin &&
  html`<p class="notice" id="readonly-note">You can read these settings but not change them: only this workspace’s admins can. Ask an admin, or ask one to add <code>${viewer.principal.id}</code> to Admins.</p>`
}
<form method="post" action="/settings" class="settings">
  ${csrfField(viewer)}
  <input type="hidden" name="form" value="settings">
  <fieldset${viewer.admin ? '' : html` disabled aria-describedby="readonly-note"`}>
    <legend class="visually-hidden">Workspace settings</legend>
    ${fields.map(
      (field) => html`<div class="field ${field.kind === 'bool' ? 'check' : ''}">
      ${field.kind === 'bool' ? html`${control(field, settings)} <label for="s-${field.name}">${field.label}</label>` : html`<label for="s-${field.name}">${field.label}</label>${control(field, settings)}`}
      ${field.help && html`<p class="help" id="s-${field.name}-help">${field.help}</p>`}
    </div>`,
    )}
    ${viewer.admin && html`<div><button type="submit" class="primary">Save settings</button></div>`}
  </fieldset>
</form>`;
}

/** The form's fields as a settings patch (validation is the core's: SettingsService refuses bad values by name). */
export function settingsPatchFromForm(body: Record<string, unknown>): SettingsPatch {
  const patch: Record<string, unknown> = {};
  const text = (name: string) => (typeof body[name] === 'string' ? (body[name] as string) : '');
  for (const field of fields) {
    const raw = text(field.name);
    switch (field.kind) {
      case 'text':
      case 'choice':
        patch[field.name] = raw.trim();
        break;
      case 'number':
        patch[field.name] = raw.trim() === '' ? NaN : Number(raw);
        break;
      case 'list':
        patch[field.name] = raw.split(/[\n,]/).map((s) => s.trim()).filter(Boolean);
        break;
      case 'map':
        patch[field.name] = Object.fromEntries(
          raw
            .split('\n')
            .map((line) => line.split('=').map((s) => s.trim()))
            .filter((pair) => pair.length === 2 && pair[0] && pair[1]),
        );
        break;
      case 'bool':
        patch[field.name] = body[field.name] === 'on';
        break;
    }
  }
  return patch as SettingsPatch;
}
