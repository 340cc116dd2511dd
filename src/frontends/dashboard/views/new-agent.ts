import { html, type SafeHtml } from '../html.js';
import type { Viewer } from '../auth.js';
import { csrfField } from './layout.js';

export interface NewAgentValues {
  repo: string;
  branch: string;
  model: string;
  mode: 'agent' | 'ask';
  prompt: string;
}

export function newAgentBody(viewer: Viewer, values: NewAgentValues, options: { models: string[]; repos?: string[]; defaultModel: string | null; defaultRepo: string; error: string | null }): SafeHtml {
  return html`<h1>New agent</h1>
${options.error && html`<p class="notice error" role="alert" id="form-error">${options.error}</p>`}
<form method="post" action="/agents" class="stack" ${options.error ? html`aria-describedby="form-error"` : ''}>
  ${csrfField(viewer)}
  <div class="field">
    <label for="n-repo">Repository</label>
    <input id="n-repo" name="repo" value="${values.repo}" list="n-repos" placeholder="${options.defaultRepo || 'owner/name or https://… git URL'}" autocomplete="off" aria-describedby="n-repo-help">
    <datalist id="n-repos">${(options.repos ?? []).map((r) => html`<option value="${r}"></option>`)}</datalist>
    <p class="help" id="n-repo-help">${options.defaultRepo ? html`Leave empty for the workspace default, <code>${options.defaultRepo}</code>.` : 'owner/name on GitHub, an https git URL, or an absolute path on the server.'}</p>
  </div>
  <div class="row">
    <div class="field">
      <label for="n-branch">Base branch</label>
      <input id="n-branch" name="branch" value="${values.branch}" placeholder="default branch" autocomplete="off">
    </div>
    <div class="field">
      <label for="n-model">Model</label>
      <input id="n-model" name="model" value="${values.model}" list="n-models" placeholder="${options.defaultModel ?? 'provider:model'}" autocomplete="off">
      <datalist id="n-models">${options.models.map((m) => html`<option value="${m}"></option>`)}</datalist>
    </div>
    <fieldset class="field">
      <legend>Mode</legend>
      <label class="inline"><input type="radio" name="mode" value="agent"${values.mode === 'agent' ? html` checked` : ''}> Agent: edits, pushes, opens a PR</label>
      <label class="inline"><input type="radio" name="mode" value="ask"${values.mode === 'ask' ? html` checked` : ''}> Ask: answers only</label>
    </fieldset>
  </div>
  <div class="field">
    <label for="n-prompt">What should it do?</label>
    <textarea id="n-prompt" name="prompt" rows="8" required placeholder="Fix the flaky login test and explain the cause">${values.prompt}</textarea>
  </div>
  <div><button type="submit" class="primary">Start agent</button></div>
</form>`;
}
