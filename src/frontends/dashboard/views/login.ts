import { html, type SafeHtml } from '../html.js';
import type { Viewer } from '../auth.js';
import { csrfField } from './layout.js';

export function loginBody(next: string, error: string | null): SafeHtml {
  return html`<div class="narrow">
<h1>Sign in to Errand</h1>
${error && html`<p class="notice error" role="alert" id="login-error">${error}</p>`}
<form method="post" action="/login" class="stack">
  <input type="hidden" name="next" value="${next}">
  <div class="field">
    <label for="api-key">API key</label>
    <input id="api-key" name="key" type="password" autocomplete="off" required spellcheck="false" aria-describedby="api-key-help${error ? ' login-error' : ''}">
    <p class="help" id="api-key-help">Paste your key (it starts with <code>err_</code>). It is checked and then forgotten: the browser gets a session cookie, not the key.</p>
  </div>
  <div><button type="submit" class="primary">Sign in</button></div>
</form>
<h2>No key at hand?</h2>
<p>Where the <code>errand</code> command line is signed in, run <code>errand login --link</code>: it prints a one-time link that signs this browser in.
An operator on the server can make a key with <code>errand keys create --name &lt;you&gt;</code>.</p>
</div>`;
}

export function confirmLinkBody(token: string, viewer: Viewer | null): SafeHtml {
  return html`<div class="narrow">
<h1>Sign in with this link?</h1>
<p>This link works once and for a few minutes. Continue to sign this browser in.</p>
<form method="post" action="/login/${token}">
  ${csrfField(viewer)}
  <button type="submit" class="primary">Sign in</button>
</form>
</div>`;
}

export function errorBody(title: string, message: string, signIn: boolean): SafeHtml {
  return html`<div class="narrow">
<h1>${title}</h1>
<p>${message}</p>
<p>${signIn ? html`<a class="button primary" href="/login">Sign in</a>` : html`<a href="/">Back to the agents</a>`}</p>
</div>`;
}
