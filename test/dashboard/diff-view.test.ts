import type { Agent, AgentDiff } from '../../src/core/index.js';
import { diffBody } from '../../src/frontends/dashboard/views/diff-view.js';

const patch = (file: string, from: string, to: string) =>
  [`diff --git a/${file} b/${file}`, `--- a/${file}`, `+++ b/${file}`, '@@ -1 +1 @@', `-${from}`, `+${to}`, ''].join('\n');

const agent = {
  id: 'ag_1', title: 'Bump to v2', privacy: false, prUrl: 'https://github.com/acme/app/pull/3', prNumber: 3,
  repo: { provider: 'github', fullName: 'acme/app', url: 'https://github.com/acme/app' },
} as unknown as Agent;
const now = new Date('2026-12-02T08:00:00Z');
const base: AgentDiff = { text: patch('app.txt', 'app v1', 'app v2'), bytes: 60, base: 'main', branch: 'errand/bump', sha: 'a'.repeat(40), at: '2026-12-02T07:59:00Z' };
const render = (diff: AgentDiff) => String(diffBody(agent, diff, (t) => t, now));

describe('the dashboard diff of an agent with several repositories', () => {
  it('shows each repository under its name and folder, with file anchors unique on the page', () => {
    const page = render({
      ...base,
      repos: [
        { repo: 'acme/lib', folder: 'lib', text: patch('lib.txt', 'lib v1', 'lib v2'), bytes: 60, base: 'develop', sha: 'b'.repeat(40) },
        { repo: 'acme/docs', folder: 'docs', text: null, bytes: 900_000, base: 'main', sha: null },
      ],
    });
    expect(page).toContain('3 repositories, pushed');
    expect(page).toMatch(/<h2 id="repo-0">acme\/app <span class="muted">in <code>\/workspace<\/code>/);
    expect(page).toMatch(/<h2 id="repo-1">acme\/lib <span class="muted">in <code>\/workspace\/lib<\/code>/);
    expect(page).toContain('<code>errand/bump</code> against <code>develop</code>');
    expect(page).toContain('href="#file-0-0">app.txt');
    expect(page).toContain('id="file-1-0"');
    expect(page).toContain('Diff too large to show here (879 KB)');
    expect(page.match(/id="file-/g)).toHaveLength(2);
  });

  it('keeps the one-repository page as it was: one part, no repository headings', () => {
    const page = render(base);
    expect(page).not.toContain('<h2');
    expect(page).toContain('href="#file-0">app.txt');
    expect(page).toMatch(/against <code>main<\/code> at <code>aaaaaaaaaaaa<\/code>, pushed <time/);
  });
});
