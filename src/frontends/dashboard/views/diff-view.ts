import { parsePatch, type StructuredPatch } from 'diff';
import { repoLabel, type Agent, type AgentDiff } from '../../../core/index.js';
import { html, type SafeHtml } from '../html.js';
import { ago } from './parts.js';

/** A path as git prints it in a diff header (`a/src/x.ts`), without the prefix; null for /dev/null. */
function cleanPath(name: string | undefined): string | null {
  if (!name || name === '/dev/null') return null;
  return name.replace(/^[ab]\//, '');
}

interface FileDiff {
  path: string;
  /** The old path of a rename. */
  from: string | null;
  additions: number;
  deletions: number;
  patch: StructuredPatch;
}

function files(text: string): FileDiff[] {
  return parsePatch(text).map((patch) => {
    const oldPath = cleanPath(patch.oldFileName);
    const newPath = cleanPath(patch.newFileName);
    const path = newPath ?? oldPath ?? '(unnamed)';
    let additions = 0;
    let deletions = 0;
    for (const hunk of patch.hunks) {
      for (const line of hunk.lines) {
        if (line.startsWith('+')) additions += 1;
        else if (line.startsWith('-')) deletions += 1;
      }
    }
    return { path, from: oldPath && newPath && oldPath !== newPath ? oldPath : null, additions, deletions, patch };
  });
}

function fileTable(file: FileDiff): SafeHtml {
  if (file.patch.hunks.length === 0) return html`<p class="muted">No text changes shown (a binary file, or only its mode changed).</p>`;
  const rows: SafeHtml[] = [];
  for (const hunk of file.patch.hunks) {
    rows.push(html`<tr class="hunk"><td colspan="3">@@ -${String(hunk.oldStart)},${String(hunk.oldLines)} +${String(hunk.newStart)},${String(hunk.newLines)} @@</td></tr>`);
    let oldLine = hunk.oldStart;
    let newLine = hunk.newStart;
    for (const line of hunk.lines) {
      const sign = line[0];
      const body = line.slice(1);
      if (sign === '+') {
        rows.push(html`<tr class="add"><td class="ln"></td><td class="ln">${String(newLine)}</td><td class="code"><span class="sign" aria-label="added">+</span>${body}</td></tr>`);
        newLine += 1;
      } else if (sign === '-') {
        rows.push(html`<tr class="del"><td class="ln">${String(oldLine)}</td><td class="ln"></td><td class="code"><span class="sign" aria-label="removed">−</span>${body}</td></tr>`);
        oldLine += 1;
      } else if (sign === '\\') {
        rows.push(html`<tr class="note"><td class="ln"></td><td class="ln"></td><td class="code">${line}</td></tr>`);
      } else {
        rows.push(html`<tr><td class="ln">${String(oldLine)}</td><td class="ln">${String(newLine)}</td><td class="code"><span class="sign"> </span>${body}</td></tr>`);
        oldLine += 1;
        newLine += 1;
      }
    }
  }
  return html`<div class="diff-scroll" tabindex="0"><table class="diff"><tbody>${rows}</tbody></table></div>`;
}

/** One repository's part of the page: its branch against its base, file by file. */
interface DiffPart {
  /** The repository and its folder, for an agent with several; null for one. */
  heading: SafeHtml | null;
  text: string | null;
  bytes: number;
  base: string;
  sha: string | null;
  /** Which repository on the page (0 the primary), for an agent with several; null for one. */
  index: number | null;
}

/** `pushed`: when, for the one repository of an agent (an agent with several says it once above them). */
function partBody(part: DiffPart, branch: string, where: string, pushed: SafeHtml | null): SafeHtml {
  const about = html`<p class="diff-about"><code>${branch}</code> against <code>${part.base}</code>${part.sha ? html` at <code>${part.sha.slice(0, 12)}</code>` : ''}${pushed ? html`, pushed ${pushed}` : ''}.</p>`;
  if (part.text === null) {
    return html`${part.heading ?? ''}${about}<p class="notice">Diff too large to show here (${Math.round(part.bytes / 1024).toLocaleString('en')} KB). See it on the branch${where}.</p>`;
  }
  const list = files(part.text);
  if (list.length === 0) return html`${part.heading ?? ''}${about}<p class="muted">The branch has no changes against its base.</p>`;
  const total = list.reduce((sum, f) => ({ additions: sum.additions + f.additions, deletions: sum.deletions + f.deletions }), { additions: 0, deletions: 0 });
  const id = (i: number) => (part.index === null ? `file-${String(i)}` : `file-${String(part.index)}-${String(i)}`);
  return html`${part.heading ?? ''}${about}
<nav aria-label="Changed files${part.heading ? ' in this repository' : ''}" class="diff-files"><p>${String(list.length)} file${list.length === 1 ? '' : 's'} changed, <span class="plus">+${String(total.additions)}</span> <span class="minus">−${String(total.deletions)}</span></p><ol>${list.map((f, i) => html`<li><a href="#${id(i)}">${f.path}</a> <span class="plus">+${String(f.additions)}</span> <span class="minus">−${String(f.deletions)}</span></li>`)}</ol></nav>
${list.map((f, i) => html`<section class="diff-file" id="${id(i)}" aria-label="${f.path}"><details open><summary><span class="path mono">${f.from ? html`${f.from} → ` : ''}${f.path}</span> <span class="plus">+${String(f.additions)}</span> <span class="minus">−${String(f.deletions)}</span></summary>${fileTable(f)}</details></section>`)}`;
}

/**
 * The agent's branch against its base, file by file, as the worker saved it at its last push
 * (scrubbed, capped), one part per repository for an agent with several. Privacy-mode agents keep
 * no diff.
 */
export function diffBody(agent: Agent, diff: AgentDiff | null, scrub: (text: string) => string, now: Date): SafeHtml {
  const back = html`<p><a href="/agents/${agent.id}">← Back to the agent</a>${agent.prUrl ? html` · <a href="${agent.prUrl}" rel="noopener noreferrer">Pull request${agent.prNumber ? ` #${agent.prNumber}` : ''}</a>` : ''}</p>`;
  const heading = html`<h1>Changes: ${scrub(agent.title)}</h1>`;
  if (agent.privacy) return html`<article class="diff-page">${heading}${back}<p class="muted">Privacy mode: no diff is kept for this agent.</p></article>`;
  if (!diff) return html`<article class="diff-page">${heading}${back}<p class="muted">No diff yet: it appears here once the agent pushes its branch.</p></article>`;
  if (!diff.repos?.length) {
    return html`<article class="diff-page">${heading}${back}${partBody({ ...diff, heading: null, index: null }, diff.branch, agent.prUrl ? ' or in the pull request' : '', ago(diff.at, now))}</article>`;
  }
  const part = (index: number, repo: string, folder: string): Pick<DiffPart, 'heading' | 'index'> => ({
    index,
    heading: html`<h2 id="repo-${String(index)}">${repo} <span class="muted">in <code>${folder}</code></span></h2>`,
  });
  const parts: DiffPart[] = [
    { ...diff, ...part(0, agent.repo ? repoLabel(agent.repo) : 'The repository', '/workspace') },
    ...diff.repos.map((repo, i) => ({ ...repo, ...part(i + 1, repo.repo, `/workspace/${repo.folder}`) })),
  ];
  const sections = parts.map((p) => html`<section class="diff-repo" aria-labelledby="repo-${String(p.index)}">${partBody(p, diff.branch, ' or in its pull request', null)}</section>`);
  return html`<article class="diff-page">${heading}${back}<p class="diff-about">${String(parts.length)} repositories, pushed ${ago(diff.at, now)}.</p>${sections}</article>`;
}
