import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { Page } from 'playwright-core';
import { printLoginLink } from '../../src/cli/login-link.js';
import { makeGitRepo } from '../support/git-repo.js';
import { recordingSpec, removeByRepo, testDocker, testSandbox } from '../support/docker.js';
import { dashboardHarness, resultsDir, type DashboardHarness } from './harness.js';

let h: DashboardHarness;

beforeAll(async () => {
  h = await dashboardHarness();
});

afterAll(async () => {
  await h?.close();
});

function sink(): Writable & { text: () => string } {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      text += chunk.toString();
      done();
    },
  });
  return Object.assign(stream, { text: () => text });
}

async function launchAs(who: 'alice' | 'bob' | 'admin', prompt: string, repo = 'acme/web'): Promise<string> {
  const name = { alice: 'alice', bob: 'bob', admin: 'root' }[who];
  const display = { alice: 'Alice', bob: 'Bob', admin: 'Root Admin' }[who];
  const { agent } = await h.errand.agents.launch({
    principal: { kind: 'api', workspace: 'api', id: name, name: display },
    workspace: 'api',
    conversation: { kind: 'api' },
    prompt,
    options: { repo },
  });
  return agent.id;
}

const statusBadge = (page: Page) => page.locator('#agent-status .badge');

describe('dashboard sign-in', () => {
  it('sends a signed-out visitor to sign in, refuses a wrong key, and signs in with a pasted API key', async () => {
    const { context, page } = await h.context();
    await page.goto('/');
    expect(new URL(page.url()).pathname).toBe('/login');
    await page.getByLabel('API key').fill('err_notarealkeynotarealkeynotarealkey1234');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'not valid here' }).waitFor();

    await page.getByLabel('API key').fill(h.keys.alice);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Agents', level: 1 }).waitFor();
    expect(await page.locator('.who').innerText()).toContain('Alice');
    const cookies = await context.cookies();
    const session = cookies.find((c) => c.name === 'errand_session');
    expect(session).toMatchObject({ httpOnly: true, sameSite: 'Lax' });
    expect(session?.value).not.toContain(h.keys.alice);

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(/\/login$/);
    await page.goto('/');
    expect(new URL(page.url()).pathname).toBe('/login');
    await context.close();
  });

  it('signs in once with the link `errand login --link` prints; a second use is refused', async () => {
    const stdout = sink();
    const stderr = sink();
    const link = await printLoginLink({ env: { ERRAND_URL: h.url, ERRAND_API_KEY: h.keys.bob, HOME: '/nonexistent' }, stdout, stderr });
    expect(stdout.text().trim()).toBe(link.url);
    expect(link.url).toMatch(new RegExp(`^${h.url}/login/[A-Za-z0-9_-]{43}$`));
    expect(stderr.text()).toContain('it signs in once');

    const first = await h.context();
    await first.page.goto(link.url);
    await first.page.getByRole('button', { name: 'Sign in' }).click();
    await first.page.getByRole('heading', { name: 'Agents', level: 1 }).waitFor();
    expect(await first.page.locator('.who').innerText()).toContain('Bob');
    await first.context.close();

    const second = await h.context();
    const response = await second.page.goto(link.url);
    expect(response?.status()).toBe(410);
    expect(await second.page.getByRole('heading', { level: 1 }).innerText()).toBe('Link used or expired');
    // Posting it directly does not work either.
    const posted = await second.page.request.post(link.url, { headers: { origin: h.url }, maxRedirects: 0 });
    expect(posted.status()).toBe(410);
    await second.context.close();
  });

  it('refuses a form posted from another site', async () => {
    const { context, page } = await h.context(h.keys.alice);
    const id = await launchAs('alice', 'tidy the README');
    const response = await page.request.post(`/agents/${id}/stop`, { headers: { origin: 'https://evil.example' }, form: { csrf: 'x' }, maxRedirects: 0 });
    expect(response.status()).toBe(403);
    const withoutToken = await page.request.post(`/agents/${id}/stop`, { headers: { origin: h.url }, form: {}, maxRedirects: 0 });
    expect(withoutToken.status()).toBe(403);
    expect((await h.errand.agents.require(id)).status).toBe('queued');
    await context.close();
  });
});

describe('dashboard agents', () => {
  it('launches an agent from the form, and it appears in the list', async () => {
    const { context, page } = await h.context(h.keys.alice);
    await page.getByRole('link', { name: 'New agent' }).first().click();
    await page.getByLabel('Repository').fill('acme/api');
    await page.getByLabel('Base branch').fill('develop');
    await page.getByLabel('Model').fill('openai:test-large');
    await page.getByLabel('What should it do?').fill('Add rate limiting to the login endpoint');
    await page.getByRole('button', { name: 'Start agent' }).click();
    await page.waitForURL(/\/agents\/ag_[a-z0-9]{12}\?notice=launched$/);
    const id = /\/agents\/(ag_[a-z0-9]{12})/.exec(page.url())![1]!;
    expect(await page.getByRole('heading', { level: 1 }).innerText()).toBe('Add rate limiting to the login endpoint');
    expect(await statusBadge(page).innerText()).toBe('Queued');
    expect(await page.locator('#agent-status .progress').innerText()).toMatch(/in line/);

    const agent = await h.errand.agents.require(id);
    expect(agent).toMatchObject({ owner: { kind: 'api', id: 'alice' }, repo: { fullName: 'acme/api' }, baseBranch: 'develop', model: 'openai:test-large', conversations: [{ kind: 'api' }] });

    await page.getByRole('link', { name: 'Agents' }).click();
    const row = page.locator(`tr[data-id="${id}"]`);
    await row.waitFor();
    expect(await row.innerText()).toContain('acme/api');

    await page.getByLabel('Search titles and prompts').fill('rate limiting');
    await page.getByRole('button', { name: 'Filter' }).click();
    await row.waitFor();
    await page.getByLabel('Search titles and prompts').fill('nothing like this anywhere');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.getByText('No agents match these filters.').waitFor();
    await context.close();
  });

  it('shows the run live, from preparing to finished, without a reload', async () => {
    const id = await launchAs('alice', 'Fix the flaky login test');
    const { context, page } = await h.context(h.keys.alice);
    const list = await context.newPage();
    await list.goto('/');
    await list.locator(`tr[data-id="${id}"] .badge`).filter({ hasText: 'Queued' }).waitFor();

    await page.goto(`/agents/${id}`);
    await page.evaluate(() => ((globalThis as unknown as { stayed: boolean }).stayed = true));

    await h.drive(id, 'preparing', { type: 'log', phase: 'environment', stream: 'system', text: 'image errand-base:bookworm' });
    await h.drive(id, { type: 'log', phase: 'install', stream: 'stdout', text: 'npm ci\nadded 412 packages' });
    await page.locator('#agent-status .progress').filter({ hasText: 'Install: running (not cached' }).waitFor();
    await page.locator('#logs details[data-phase="install"] pre').filter({ hasText: 'added 412 packages' }).waitFor();

    await h.drive(id, 'running', { type: 'model_message', text: 'The test races the session cookie; I will wait for it.' });
    await h.drive(id, { type: 'tool_call', callId: 'c1', name: 'run_command', args: JSON.stringify({ command: 'npm test -- login' }) });
    await h.drive(id, { type: 'tool_result', callId: 'c1', name: 'run_command', ok: true, output: '12 passing' });
    await h.drive(id, { type: 'log', phase: 'terminal', stream: 'stdout', text: 'dev server listening on :3000' });
    await statusBadge(page).filter({ hasText: 'Running' }).waitFor();
    await page.locator('#transcript .msg.agent').filter({ hasText: 'races the session cookie' }).waitFor();
    await page.locator('#transcript li.step[data-call="c1"] .result.ok').waitFor();
    expect(await page.locator('#transcript li.step[data-call="c1"] summary').innerText()).toContain('npm test -- login');
    await page.locator('#terminals pre').filter({ hasText: 'dev server listening' }).waitFor();

    await h.drive(
      id,
      { type: 'milestone', name: 'pr_opened', text: 'opened draft pull request #7', data: { number: 7, url: 'https://github.com/acme/web/pull/7' } },
      { type: 'summary', text: 'Waited for the cookie before asserting.', branch: 'errand/fix-flaky', prUrl: 'https://github.com/acme/web/pull/7', diffstat: ' test/login.test.ts | 4 ++--\n 1 file changed' },
      { status: 'finished', patch: { prUrl: 'https://github.com/acme/web/pull/7', prNumber: 7, summary: 'Waited for the cookie before asserting.' } },
    );
    await statusBadge(page).filter({ hasText: 'Finished' }).waitFor();
    await page.locator('#agent-status a', { hasText: 'Pull request #7' }).waitFor();
    expect(await page.locator('#agent-status .diffstat').innerText()).toContain('1 file changed');
    expect(await page.locator('#agent-status form.stop').count()).toBe(0);
    expect(await page.evaluate(() => (globalThis as unknown as { stayed?: boolean }).stayed)).toBe(true);

    // The list, open in another tab, caught up by itself too.
    await list.locator(`tr[data-id="${id}"] .badge`).filter({ hasText: 'Finished' }).waitFor({ timeout: 15_000 });
    await context.close();
  });

  it('sends a follow-up from the agent page into the agent inbox', async () => {
    const id = await launchAs('alice', 'Upgrade the test runner');
    await h.drive(id, 'preparing', 'running');
    const { context, page } = await h.context(h.keys.alice);
    await page.goto(`/agents/${id}`);
    await page.getByLabel(/Message for the agent/).fill('Also keep Node 20 support, please.');
    await page.getByRole('button', { name: 'Send follow-up' }).click();
    await page.getByRole('status').filter({ hasText: 'Sent. The agent reads it before its next step (1st in its inbox)' }).waitFor();
    await page.locator('#transcript .msg.user').filter({ hasText: 'Also keep Node 20 support' }).waitFor();
    const inbox = await h.errand.stores.inbox.drain(id);
    expect(inbox).toEqual([expect.objectContaining({ text: 'Also keep Node 20 support, please.', author: expect.objectContaining({ id: 'alice' }) })]);
    await context.close();
  });

  it("saves a finished agent's machine as the repository's snapshot with its button", async () => {
    const repo = `acme/dash-snapshot-${process.pid}`;
    const docker = testDocker();
    const project = makeGitRepo({});
    try {
      const id = await launchAs('alice', 'Set up the toolchain', repo);
      await testSandbox(docker).prepare(recordingSpec(project.dir, repo, { agentId: id, workspace: 'api' }));
      await h.drive(id, 'preparing', 'running', { status: 'finished', patch: { summary: 'Ready.' } });
      const { context, page } = await h.context(h.keys.alice);
      await page.goto(`/agents/${id}`);
      await page.getByRole('button', { name: 'Save machine as snapshot' }).click();
      await page.getByRole('status').filter({ hasText: "Saved this agent's machine as the repository's snapshot" }).waitFor();
      const images = await docker.listImages({ filters: { label: ['errand.snapshot-kind=manual', 'errand.workspace=api', `errand.repo=${repo}`] } });
      expect(images).toHaveLength(1);
      await context.close();
    } finally {
      project.remove();
      await removeByRepo(docker, repo);
    }
  });

  it('stops another agent with its Stop button', async () => {
    const keep = await launchAs('alice', 'Keep running');
    const id = await launchAs('alice', 'Stop me');
    const { context, page } = await h.context(h.keys.alice);
    await page.goto(`/agents/${id}`);
    await page.getByRole('button', { name: 'Stop agent' }).click();
    await page.getByRole('status').filter({ hasText: 'Stopped.' }).waitFor();
    expect(await statusBadge(page).innerText()).toBe('Stopped');
    expect((await h.errand.agents.require(id)).status).toBe('stopped');
    expect((await h.errand.agents.require(keep)).status).toBe('queued');
    await context.close();
  });

  const withTeamFollowUps = async (teamFollowUps: 'owner' | 'everyone', body: () => Promise<void>) => {
    const before = await h.errand.stores.settings.get('api');
    await h.errand.stores.settings.set('api', { ...before, teamFollowUps });
    try {
      await body();
    } finally {
      await h.errand.stores.settings.set('api', before);
    }
  };

  it("hides other people's agents from someone who is not an admin, and shows them to admins", async () => {
    await withTeamFollowUps('owner', async () => {
      const id = await launchAs('bob', "Bob's private errand");
      const alice = await h.context(h.keys.alice);
      const response = await alice.page.goto(`/agents/${id}`);
      expect(response?.status()).toBe(404);
      await alice.page.goto('/');
      expect(await alice.page.locator(`tr[data-id="${id}"]`).count()).toBe(0);
      await alice.context.close();

      const admin = await h.context(h.keys.admin);
      await admin.page.locator(`tr[data-id="${id}"]`).waitFor();
      await admin.context.close();
    });
  });

  it("lets a teammate open, follow up on and stop another member's agent when team follow-ups allow it, as in a Slack thread", async () => {
    await withTeamFollowUps('everyone', async () => {
      const id = await launchAs('bob', 'Fix the flaky login test');
      await h.drive(id, 'preparing', 'running');
      const { context, page } = await h.context(h.keys.alice);
      await page.goto(`/agents/${id}`);
      await page.getByLabel(/Message for the agent/).fill('Also cover Safari.');
      await page.getByRole('button', { name: 'Send follow-up' }).click();
      await page.getByRole('status').filter({ hasText: 'Sent. The agent reads it before its next step' }).waitFor();
      const inbox = await h.errand.stores.inbox.drain(id);
      expect(inbox).toEqual([expect.objectContaining({ text: 'Also cover Safari.', author: expect.objectContaining({ id: 'alice' }) })]);
      // Her own list still shows only her agents.
      await page.goto('/');
      expect(await page.locator(`tr[data-id="${id}"]`).count()).toBe(0);
      await context.close();
    });
  });

  it('renders a prompt and live output containing <script> as text, and scrubs secrets', async () => {
    h.scrubber.add('hunter2-super-secret');
    const prompt = '<script>window.pwned = 1</script><img src=x onerror="window.pwned = 2"> fix it';
    const id = await launchAs('alice', prompt);
    const { context, page } = await h.context(h.keys.alice);
    await page.goto(`/agents/${id}`);
    expect(await page.locator('#transcript .msg.user .text').first().innerText()).toBe(prompt);
    await h.drive(id, 'preparing', 'running', { type: 'model_message', text: '<script>window.pwned = 3</script> token ghp_abcdefghijklmnopqrstuvwxyz0123456789AB and hunter2-super-secret' });
    const message = page.locator('#transcript .msg.agent .text');
    await message.waitFor();
    expect(await message.innerText()).toBe('<script>window.pwned = 3</script> token [redacted] and [redacted]');
    await page.goto('/');
    await page.locator(`tr[data-id="${id}"]`).waitFor();
    expect(await page.evaluate(() => (globalThis as unknown as { pwned?: number }).pwned)).toBeUndefined();
    await page.reload();
    await page.goto(`/agents/${id}`);
    expect(await page.content()).not.toContain('hunter2-super-secret');
    expect(await page.evaluate(() => (globalThis as unknown as { pwned?: number }).pwned)).toBeUndefined();
    await context.close();
  });

  it('keeps no transcript of a privacy-mode agent after its run', async () => {
    const { agent } = await h.errand.agents.launch({
      principal: { kind: 'api', workspace: 'api', id: 'alice', name: 'Alice' }, workspace: 'api', conversation: { kind: 'api' },
      prompt: 'Look at the payroll code', options: { repo: 'acme/payroll', privacy: true },
    });
    await h.drive(agent.id, 'preparing', 'running', { type: 'model_message', text: 'salary table is in db/schema.sql' }, 'finished');
    const { context, page } = await h.context(h.keys.alice);
    await page.goto(`/agents/${agent.id}`);
    await page.getByText('Privacy mode: the conversation, tool steps and logs are not kept after the run.').waitFor();
    expect(await page.content()).not.toContain('salary table');
    await context.close();
  });
});

describe('dashboard settings, secrets and audit', () => {
  it('lets an admin change a setting, and refuses someone who is not an admin', async () => {
    const admin = await h.context(h.keys.admin);
    await admin.page.goto('/settings');
    await admin.page.getByLabel('Default repository').fill('acme/monorepo');
    await admin.page.getByLabel('Retention (days)').fill('5');
    await admin.page.getByRole('button', { name: 'Save settings' }).click();
    await admin.page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
    const settings = await h.errand.stores.settings.get('api');
    expect(settings).toMatchObject({ defaultRepo: 'acme/monorepo', retentionDays: 5, teamFollowUps: 'everyone' });
    await admin.page.getByRole('link', { name: 'Audit log' }).click();
    await admin.page.locator('table.audit tr', { hasText: 'changed settings' }).filter({ hasText: 'defaultRepo, retentionDays' }).waitFor();
    await admin.context.close();

    const alice = await h.context(h.keys.alice);
    await alice.page.goto('/settings');
    expect(await alice.page.getByText('only this workspace’s admins can').count()).toBe(1);
    expect(await alice.page.getByLabel('Default repository').isDisabled()).toBe(true);
    expect(await alice.page.getByRole('button', { name: 'Save settings' }).count()).toBe(0);
    const csrf = await alice.page.locator('input[name="csrf"]').first().inputValue();
    const forged = await alice.page.request.post('/settings', { headers: { origin: h.url }, form: { csrf, form: 'settings', defaultRepo: 'alice/own', retentionDays: '5', maxConcurrentPerWorkspace: '10', maxConcurrentPerPerson: '3', teamFollowUps: 'everyone', networkInstall: 'full', networkAgent: 'full' }, maxRedirects: 0 });
    expect(forged.status()).toBe(403);
    expect(await forged.text()).toContain('only this workspace');
    expect((await h.errand.stores.settings.get('api')).defaultRepo).toBe('acme/monorepo');
    const audit = await alice.page.goto('/audit');
    expect(audit?.status()).toBe(403);
    await alice.context.close();
  });

  it('lets an admin set and remove a secret by name, never showing its value', async () => {
    const { context, page } = await h.context(h.keys.admin);
    await page.goto('/secrets');
    await page.getByLabel('Name').fill('NPM_TOKEN');
    await page.getByLabel('Value').fill('npm-secret-value-123456');
    await page.getByRole('button', { name: 'Save secret' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
    await page.locator('table.secrets code', { hasText: 'NPM_TOKEN' }).waitFor();
    expect(await page.content()).not.toContain('npm-secret-value-123456');
    await page.getByRole('button', { name: 'Remove NPM_TOKEN' }).click();
    await page.getByRole('status').filter({ hasText: 'Removed.' }).waitFor();
    expect(await page.locator('table.secrets code', { hasText: 'NPM_TOKEN' }).count()).toBe(0);
    await context.close();
  });
});

describe('dashboard screenshots', () => {
  it('writes screenshots of the list and an agent page at desktop and phone widths', async () => {
    const id = await launchAs('alice', 'Make the settings page load faster by caching the workspace query');
    await h.drive(
      id,
      'preparing',
      { type: 'log', phase: 'environment', stream: 'system', text: 'using .errand/environment.json' },
      { type: 'milestone', name: 'install_cached', text: 'install cached: reusing snapshot' },
      'running',
      { type: 'model_message', text: 'The workspace query runs once per field. I will cache it per request.' },
      { type: 'tool_call', callId: 's1', name: 'read_file', args: JSON.stringify({ path: 'src/settings/page.ts' }) },
      { type: 'tool_result', callId: 's1', name: 'read_file', ok: true, output: 'export async function render() { … }' },
      { type: 'tool_call', callId: 's2', name: 'run_command', args: JSON.stringify({ command: 'npm test' }) },
      { type: 'tool_result', callId: 's2', name: 'run_command', ok: false, output: '1 failing' },
    );
    const failed = await launchAs('bob', 'Migrate the build to pnpm');
    await h.drive(
      failed,
      'preparing',
      { type: 'log', phase: 'install', stream: 'stderr', text: 'pnpm install\nERR_PNPM_OUTDATED_LOCKFILE  Cannot install with "frozen-lockfile"' },
      { status: 'failed', patch: { error: { code: 'environment_invalid', message: 'the install command failed (exit 1)' } } },
    );
    for (const [name, viewport] of [['desktop', { width: 1280, height: 900 }], ['phone', { width: 390, height: 844 }]] as const) {
      const { context, page } = await h.context(h.keys.admin, viewport);
      await page.goto('/');
      await page.locator(`tr[data-id="${failed}"]`).waitFor();
      await page.screenshot({ path: join(resultsDir, `dashboard-list-${name}.png`), fullPage: true });
      await page.goto(`/agents/${id}`);
      await page.locator('#transcript li.step').nth(1).waitFor();
      await page.screenshot({ path: join(resultsDir, `dashboard-agent-${name}.png`), fullPage: true });
      await page.goto(`/agents/${failed}`);
      await page.locator('.progress.failure').waitFor();
      await page.screenshot({ path: join(resultsDir, `dashboard-failed-${name}.png`), fullPage: true });
      await context.close();
    }
    for (const file of ['list', 'agent', 'failed'].flatMap((n) => [`dashboard-${n}-desktop.png`, `dashboard-${n}-phone.png`])) expect(existsSync(join(resultsDir, file))).toBe(true);
  });
});
