import type { SecretInfo } from '../../../core/index.js';
import { html, type SafeHtml } from '../html.js';
import type { Viewer } from '../auth.js';
import { csrfField } from './layout.js';
import { ago } from './parts.js';

export function secretsBody(
  viewer: Viewer,
  state: { secrets: SecretInfo[] | null; unavailable: string | null; repo: string; notice: { text: string; error: boolean } | null; now: Date },
): SafeHtml {
  const { secrets } = state;
  return html`<h1>Secrets</h1>
<p class="muted">Given to agents as environment variables. Names only: values go in and never come back out.</p>
${state.notice && html`<p class="notice${state.notice.error ? ' error' : ''}" role="${state.notice.error ? 'alert' : 'status'}">${state.notice.text}</p>`}
${state.unavailable && html`<p class="notice error">${state.unavailable}</p>`}
<form method="get" action="/secrets" class="filters" aria-label="Choose scope">
  <div class="field grow">
    <label for="sc-repo">Repository (empty: the whole workspace)</label>
    <input id="sc-repo" name="repo" value="${state.repo}" placeholder="owner/name" autocomplete="off">
  </div>
  <div class="field actions"><button type="submit">Show</button></div>
</form>
${
  secrets &&
  html`<table class="secrets">
  <caption>${state.repo ? html`Secrets of <code>${state.repo}</code> (workspace secrets apply too)` : 'Workspace secrets'}</caption>
  <thead><tr><th scope="col">Name</th><th scope="col">Install step</th><th scope="col">Updated</th>${viewer.admin && html`<th scope="col"><span class="visually-hidden">Actions</span></th>`}</tr></thead>
  <tbody>
  ${secrets.length === 0 ? html`<tr class="empty"><td colspan="4">No secrets here yet.</td></tr>` : ''}
  ${secrets.map(
    (secret) => html`<tr>
    <td data-label="Name"><code>${secret.name}</code></td>
    <td data-label="Install step">${secret.availableToInstall ? 'available' : 'no'}</td>
    <td data-label="Updated">${ago(secret.updatedAt, state.now)}</td>
    ${viewer.admin && html`<td><form method="post" action="/secrets/remove">${csrfField(viewer)}<input type="hidden" name="name" value="${secret.name}"><input type="hidden" name="repo" value="${state.repo}"><button type="submit" class="danger small" aria-label="Remove ${secret.name}">Remove</button></form></td>`}
  </tr>`,
  )}
  </tbody>
</table>`
}
${
  viewer.admin
    ? secrets &&
      html`<h2>Set a secret</h2>
<form method="post" action="/secrets" class="stack narrow-form">
  ${csrfField(viewer)}
  <input type="hidden" name="repo" value="${state.repo}">
  <div class="field"><label for="sec-name">Name</label><input id="sec-name" name="name" required pattern="[A-Za-z_][A-Za-z0-9_]*" autocomplete="off" spellcheck="false" placeholder="NPM_TOKEN" aria-describedby="sec-name-help"><p class="help" id="sec-name-help">Letters, digits and _; setting an existing name replaces its value.</p></div>
  <div class="field"><label for="sec-value">Value</label><input id="sec-value" name="value" type="password" required autocomplete="new-password" spellcheck="false"></div>
  <div class="field check"><input id="sec-install" name="availableToInstall" type="checkbox"> <label for="sec-install">Also available to the install step</label></div>
  <div><button type="submit" class="primary">Save secret</button></div>
</form>`
    : html`<p class="notice">Only admins set or remove secrets. You can see their names.</p>`
}`;
}
