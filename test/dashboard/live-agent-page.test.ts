import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { dashboardHarness, resultsDir, type DashboardHarness } from './harness.js';

let h: DashboardHarness;

beforeAll(async () => {
  h = await dashboardHarness();
});

afterAll(async () => {
  await h?.close();
});

async function launch(prompt: string, repo = 'acme/web', who: 'alice' | 'admin' = 'alice'): Promise<string> {
  const principal = who === 'alice' ? { kind: 'api' as const, workspace: 'api', id: 'alice', name: 'Alice' } : { kind: 'api' as const, workspace: 'api', id: 'root', name: 'Root Admin' };
  const { agent } = await h.errand.agents.launch({ principal, workspace: 'api', conversation: { kind: 'api' }, prompt, options: { repo } });
  return agent.id;
}

const summaryMarkdown = [
  '# Cached the workspace query',
  '',
  'Ran `npm test` and it passes. See [the docs](https://example.com/docs) and [bad](javascript:alert(1)).',
  '',
  '```ts',
  'const cache = new Map<string, Settings>();',
  '```',
  '',
  '<script>window.pwned = true</script>',
].join('\n');

const diffText = [
  'diff --git a/src/settings/page.ts b/src/settings/page.ts',
  'index 1111111..2222222 100644',
  '--- a/src/settings/page.ts',
  '+++ b/src/settings/page.ts',
  '@@ -1,3 +1,4 @@',
  ' export async function render() {',
  '-  const settings = await load();',
  '+  const settings = cache.get(id) ?? (await load());',
  '+  cache.set(id, settings);',
  ' }',
  'diff --git a/README.md b/README.md',
  'index 3333333..4444444 100644',
  '--- a/README.md',
  '+++ b/README.md',
  '@@ -1 +1 @@',
  '-# Web',
  '+# Web <script>alert(1)</script>',
  '',
].join('\n');

describe('the agent page while a command runs', () => {
  it("shows a slow command's output before it ends, then a failing command as failed with its exit code", async () => {
    const id = await launch('Make the tests pass');
    await h.drive(id, 'preparing', 'running', { type: 'tool_call', callId: 'slow', name: 'run', args: JSON.stringify({ command: 'npm test' }) });
    const { context, page } = await h.context(h.keys.alice);
    await page.goto(`/agents/${id}`);
    const step = page.locator('#transcript li.step[data-call="slow"]');
    await step.locator('.result.pending').waitFor();
    await page.locator('#agent-status .progress').filter({ hasText: 'now running npm test' }).waitFor();

    // Output arrives while the command runs: the step is open and shows it, without a reload.
    await h.drive(id, { type: 'tool_output', callId: 'slow', stream: 'stdout', text: 'PASS test/a.test.ts\n' });
    await step.locator('pre.output').filter({ hasText: 'PASS test/a.test.ts' }).waitFor();
    await h.drive(id, { type: 'tool_output', callId: 'slow', stream: 'stderr', text: 'FAIL test/b.test.ts\n' });
    await step.locator('pre.output').filter({ hasText: 'FAIL test/b.test.ts' }).waitFor();
    expect(await step.locator('.result').innerText()).toBe('running…');

    await h.drive(id, { type: 'tool_result', callId: 'slow', name: 'run', ok: false, output: 'exit code 1\nPASS test/a.test.ts\nFAIL test/b.test.ts', exitCode: 1, durationMs: 95_000 });
    await step.locator('.result.fail').filter({ hasText: 'failed · exit 1 · 1 min 35 s' }).waitFor();

    await h.drive(id, { type: 'tool_call', callId: 'missing', name: 'run', args: JSON.stringify({ command: 'pnpm test' }) });
    await h.drive(id, { type: 'tool_result', callId: 'missing', name: 'run', ok: false, output: 'exit code 127\nbash: pnpm: command not found', exitCode: 127, durationMs: 40 });
    const missing = page.locator('#transcript li.step[data-call="missing"]');
    await missing.locator('.result.fail').filter({ hasText: 'failed · exit 127 · 40 ms' }).waitFor();
    expect(await missing.getAttribute('class')).toContain('failed');

    // The server's rendering of the same steps, after a reload, says the same.
    await page.reload();
    expect(await page.locator('#transcript li.step[data-call="missing"] .result').innerText()).toBe('failed · exit 127 · 40 ms');
    expect(await page.locator('#transcript li.step[data-call="missing"] .result').getAttribute('data-exit')).toBe('127');
    await context.close();
  });
});

describe("the model's reasoning", () => {
  it('is shown folded under "Thinking", live and after a reload, as text', async () => {
    const id = await launch('Find the slow query');
    await h.drive(id, 'preparing', 'running');
    const { context, page } = await h.context(h.keys.alice);
    await page.goto(`/agents/${id}`);
    await page.locator('#agent-status[data-status="running"]').waitFor();
    await h.drive(id, { type: 'thinking', text: 'The N+1 is in <b>page.ts</b>; check the loader first.' });
    const thinking = page.locator('#transcript .msg.thinking');
    await thinking.waitFor();
    for (const view of ['live', 'reloaded']) {
      if (view === 'reloaded') await page.reload();
      expect(await thinking.locator('summary').innerText()).toBe('Thinking');
      expect(await thinking.locator('details').getAttribute('open')).toBeNull();
      await thinking.locator('summary').click();
      expect(await thinking.locator('.text').innerText()).toBe('The N+1 is in <b>page.ts</b>; check the loader first.');
      expect(await thinking.locator('b').count()).toBe(0);
    }
    await context.close();
  });
});

describe('rendered Markdown', () => {
  it('renders the summary and messages with headings, code and links, and <script> in them stays text', async () => {
    const id = await launch('Cache the workspace query');
    await h.drive(id, 'preparing', 'running');
    const { context, page } = await h.context(h.keys.alice);
    await page.goto(`/agents/${id}`);
    await page.locator('#agent-status[data-status="running"]').waitFor();

    // Live: the events arrive while the page is open.
    await h.drive(id, { type: 'model_message', text: 'Looking at **page.ts** now <script>window.pwned = true</script>' });
    await page.locator('#transcript .msg.agent .text.md strong').filter({ hasText: 'page.ts' }).waitFor();
    await h.drive(id, { type: 'summary', text: summaryMarkdown, branch: 'errand/cache', prUrl: null, diffstat: null }, { status: 'finished', patch: { summary: summaryMarkdown } });
    const summary = page.locator('#transcript .msg.summary .text.md');
    await summary.locator('h1').filter({ hasText: 'Cached the workspace query' }).waitFor();

    for (const view of ['live', 'reloaded']) {
      if (view === 'reloaded') await page.reload();
      expect(await summary.locator('code').first().innerText()).toBe('npm test');
      expect(await summary.locator('pre code').innerText()).toContain('const cache = new Map<string, Settings>();');
      expect(await summary.locator('a').count()).toBe(1);
      expect(await summary.locator('a').getAttribute('href')).toBe('https://example.com/docs');
      expect(await summary.innerText()).toContain('<script>window.pwned = true</script>');
      expect(await page.locator('#transcript .msg.agent .text.md').innerText()).toContain('<script>window.pwned = true</script>');
      expect(await page.locator('#transcript script').count()).toBe(0);
      expect(await page.evaluate(() => (globalThis as unknown as { pwned?: boolean }).pwned)).toBeUndefined();
    }
    await context.close();
  });
});

describe('the diff view and end states', () => {
  it("shows the agent's change file by file with the PR link, and says what a stop pushed", async () => {
    const id = await launch('Cache the workspace query');
    const sha = '0123456789abcdef0123456789abcdef01234567';
    const agent = await h.errand.agents.get(id);
    await h.drive(id, 'preparing', 'running', { type: 'milestone', name: 'pushed', text: `pushed ${agent!.branch}`, data: { branch: agent!.branch, sha } });
    await h.errand.stores.diffs.save(id, { text: diffText, bytes: diffText.length, base: 'main', branch: agent!.branch, sha, at: new Date().toISOString() }, agent!.expiresAt);
    await h.drive(id, { status: 'stopped', patch: { prUrl: 'https://github.com/acme/web/pull/9', prNumber: 9 } });

    const { context, page } = await h.context(h.keys.alice);
    await page.goto(`/agents/${id}`);
    expect(await page.locator('#agent-status .progress').innerText()).toContain(`Its work was pushed to ${agent!.branch} at ${sha.slice(0, 12)}.`);
    await page.getByRole('link', { name: 'View changes' }).click();
    await page.waitForURL(`**/agents/${id}/diff`);
    expect(await page.locator('.diff-files').innerText()).toContain('2 files changed, +3 −2');
    const file = page.locator('section.diff-file', { hasText: 'src/settings/page.ts' });
    expect(await file.locator('tr.add').count()).toBe(2);
    expect(await file.locator('tr.del').innerText()).toContain('const settings = await load();');
    expect(await file.locator('tr.add').first().innerText()).toContain('cache.get(id) ?? (await load())');
    expect(await page.locator('section.diff-file', { hasText: 'README.md' }).locator('tr.add').innerText()).toContain('# Web <script>alert(1)</script>');
    expect(await page.locator('.diff-page script').count()).toBe(0);
    expect(await page.getByRole('link', { name: 'Pull request #9' }).getAttribute('href')).toBe('https://github.com/acme/web/pull/9');

    // Past the cap only the size is kept.
    await h.errand.stores.diffs.save(id, { text: null, bytes: 3_000_000, base: 'main', branch: agent!.branch, sha, at: new Date().toISOString() }, agent!.expiresAt);
    await page.reload();
    expect(await page.locator('.diff-page .notice').innerText()).toContain('Diff too large');

    // A stop that pushed nothing says so.
    const idle = await launch('Do nothing much');
    await h.drive(idle, 'preparing', 'running', 'stopped');
    await page.goto(`/agents/${idle}`);
    expect(await page.locator('#agent-status .progress').innerText()).toContain('Nothing was pushed.');
    expect(await page.getByRole('link', { name: 'View changes' }).count()).toBe(0);
    await context.close();
  });
});

describe('new-agent pickers and screenshots', () => {
  it('suggests known repositories and the server models, and keeps free text', async () => {
    await launch('Earlier work', 'acme/api');
    // What the GitHub App's installations reach, as /v0/repositories lists it (its Redis cache, filled here).
    await h.errand.stores.repositories.set([{ owner: 'acme', name: 'infra', repository: 'https://github.com/acme/infra' }], 60);
    const { context, page } = await h.context(h.keys.alice);
    await page.goto('/agents/new');
    const repos = await page.locator('#n-repos option').evaluateAll((options) => options.map((o) => o.getAttribute('value')));
    expect(repos).toEqual(expect.arrayContaining(['acme/api', 'acme/web', 'acme/infra']));
    const models = await page.locator('#n-models option').evaluateAll((options) => options.map((o) => o.getAttribute('value')));
    expect(models).toEqual(expect.arrayContaining(['openai:test-model', 'openai:test-large']));
    expect(await page.locator('#n-repo').getAttribute('list')).toBe('n-repos');
    await page.locator('#n-repo').fill('https://git.example.com/team/tool.git');
    expect(await page.locator('#n-repo').inputValue()).toBe('https://git.example.com/team/tool.git');
    await context.close();
  });

  it('writes screenshots of the agent page, the diff, the list and the new-agent form at desktop and phone widths', async () => {
    const id = await launch('Make the settings page load faster by caching the workspace query with a very long prompt that wraps on a phone screen', 'acme/web', 'admin');
    const sha = 'fedcba9876543210fedcba9876543210fedcba98';
    await h.drive(
      id,
      'preparing',
      'running',
      { type: 'model_message', text: 'The workspace query runs **once per field**. I will cache it per request:\n\n- `src/settings/page.ts`\n- `src/settings/cache.ts`' },
      { type: 'tool_call', callId: 'p1', name: 'run', args: JSON.stringify({ command: 'npm test -- --runInBand --testNamePattern "settings page renders every field once"' }) },
      { type: 'tool_result', callId: 'p1', name: 'run', ok: false, output: 'exit code 127\nbash: npm: command not found', exitCode: 127, durationMs: 35 },
      { type: 'tool_call', callId: 'p2', name: 'run', args: JSON.stringify({ command: 'pnpm test' }) },
      { type: 'tool_output', callId: 'p2', stream: 'stdout', text: 'PASS src/settings/page.test.ts (4.2 s)\n  ✓ renders every field once with a rather long test name that needs wrapping (31 ms)\n' },
      { type: 'milestone', name: 'pushed', text: 'pushed', data: { branch: 'errand/cache', sha } },
    );
    const agent = await h.errand.agents.get(id);
    await h.errand.stores.diffs.save(id, { text: diffText, bytes: diffText.length, base: 'main', branch: agent!.branch, sha, at: new Date().toISOString() }, agent!.expiresAt);
    const done = await launch('Summarise the cache', 'acme/web', 'admin');
    await h.drive(done, 'preparing', 'running', { type: 'summary', text: summaryMarkdown, branch: 'errand/x', prUrl: null, diffstat: null }, 'finished');

    const shots: string[] = [];
    for (const [name, viewport] of [['desktop', { width: 1280, height: 900 }], ['phone', { width: 390, height: 844 }]] as const) {
      const { context, page } = await h.context(h.keys.admin, viewport);
      const shot = async (what: string) => {
        const path = join(resultsDir, `live-${what}-${name}.png`);
        await page.screenshot({ path, fullPage: true });
        shots.push(path);
        // Nothing on the page is wider than the viewport (tables and code scroll inside their boxes).
        const overflow = await page.locator('html').evaluate((root) => root.scrollWidth - root.clientWidth);
        expect({ what, name, overflow }).toEqual({ what, name, overflow: 0 });
      };
      await page.goto(`/agents/${id}`);
      await page.locator('#transcript li.step[data-call="p2"] pre.output').filter({ hasText: 'PASS' }).waitFor();
      await shot('agent');
      await page.goto(`/agents/${done}`);
      await page.locator('.msg.summary .text.md h1').waitFor();
      await shot('summary');
      await page.goto(`/agents/${id}/diff`);
      await page.locator('table.diff').first().waitFor();
      await shot('diff');
      await page.goto('/');
      await page.locator(`tr[data-id="${id}"]`).waitFor();
      await shot('list');
      await page.goto('/agents/new');
      await shot('new-agent');
      await context.close();
    }
    for (const path of shots) expect(existsSync(path)).toBe(true);
  });
});
