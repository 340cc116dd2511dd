import { join } from 'node:path';
import type { Page } from 'playwright-core';
import WebSocket from 'ws';
import type { SandboxHandle } from '../../src/core/index.js';
import { terminalOutput } from '../../src/engine/loop/command-tools.js';
import { makeGitRepo, type TestRepo } from '../support/git-repo.js';
import { recordingSpec, removeByRepo, testDocker, testSandbox } from '../support/docker.js';
import { waitFor } from '../support/wait.js';
import { dashboardHarness, resultsDir, type DashboardHarness } from './harness.js';

const admin = { kind: 'api' as const, workspace: 'api', id: 'root', name: 'Root Admin' };
const docker = testDocker();
const repo = `acme/web-terminal-${process.pid}`;
let h: DashboardHarness;
let project: TestRepo;
/** Alice's agent with a real machine (errand-base), finished and parked as a run leaves it. */
let agentId: string;
let machine: SandboxHandle;

beforeAll(async () => {
  h = await dashboardHarness();
  project = makeGitRepo({ 'README.md': '# web terminal\n' });
  const { agent } = await h.errand.agents.launch({
    principal: { kind: 'api', workspace: 'api', id: 'alice', name: 'Alice' },
    workspace: 'api',
    conversation: { kind: 'api' },
    prompt: 'Set up the project',
    options: { repo },
  });
  agentId = agent.id;
  const sandbox = testSandbox(docker);
  machine = await sandbox.prepare(recordingSpec(project.dir, repo, { agentId, workspace: 'api' }));
  await h.drive(agentId, 'preparing', 'running', { status: 'finished', patch: { summary: 'Ready.' } });
  // The run is over: the machine is stopped, as the worker leaves it.
  await sandbox.park(agentId);
});

afterAll(async () => {
  await h?.close();
  project?.remove();
  await removeByRepo(docker, repo);
});

async function teamFollowUps(value: 'owner' | 'everyone'): Promise<void> {
  await h.errand.settings.update('api', admin, { teamFollowUps: value }, { platformAdmin: true });
}

/** What the agent's `terminal_output` tool reads from its terminal. */
async function agentSees(): Promise<string> {
  const result = await terminalOutput.run({ name: 'shell', lines: 200 }, { sandbox: machine, signal: new AbortController().signal, env: {}, commandTimeoutMs: 10_000 });
  return typeof result === 'string' ? result : result.content;
}

async function screenText(page: Page): Promise<string> {
  return page.locator('#terminal .xterm-rows').innerText();
}

/** A session cookie, a ticket issued to it, and a raw WebSocket connect with the headers given. */
async function signedIn(key: string) {
  const { context, page } = await h.context(key);
  const cookie = (await context.cookies()).find((c) => c.name === 'errand_session')!;
  const csrf = await page.locator('form.who input[name="csrf"]').getAttribute('value');
  return {
    context,
    page,
    cookie: `errand_session=${cookie.value}`,
    async ticket(id = agentId) {
      const response = await page.request.post(`/agents/${id}/terminal/tickets`, { headers: { origin: h.url, 'x-csrf-token': csrf! } });
      return { status: response.status(), ticket: response.ok() ? ((await response.json()) as { ticket: string }).ticket : null };
    },
  };
}

/** Opens the terminal's WebSocket as a script would: resolves with the HTTP status of a refusal, or 101. */
function connect(ticket: string, headers: Record<string, string>, id = agentId): Promise<{ status: number; socket: WebSocket | null }> {
  const url = `${h.url.replace(/^http/, 'ws')}/agents/${id}/terminal/socket?ticket=${encodeURIComponent(ticket)}`;
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { headers });
    socket.once('open', () => resolve({ status: 101, socket }));
    socket.once('unexpected-response', (_req, res) => resolve({ status: res.statusCode ?? 0, socket: null }));
    socket.once('error', (error) => reject(error));
  });
}

describe('web terminal', () => {
  it("starts the owner's stopped machine, and `echo hi` typed in the browser shows there and in the agent's terminal_output", async () => {
    await teamFollowUps('owner');
    expect((await docker.getContainer(machine.containerId).inspect()).State.Running).toBe(false);
    const { context, page } = await h.context(h.keys.alice);
    await page.goto(`/agents/${agentId}`);
    await page.screenshot({ path: join(resultsDir, 'web-terminal-agent-page-desktop.png'), fullPage: true });
    await page.getByRole('link', { name: 'Open terminal' }).click();
    await page.waitForURL(`${h.url}/agents/${agentId}/terminal`);
    await page.getByRole('status').filter({ hasText: 'Connected: you can type.' }).waitFor();
    await page.locator('#terminal .xterm-screen').click();
    await page.keyboard.type('echo hi');
    await page.keyboard.press('Enter');
    await waitFor(async () => /^hi$/m.test(await screenText(page)), { what: '"hi" on the web terminal' });
    expect((await docker.getContainer(machine.containerId).inspect()).State.Running).toBe(true);
    const seen = await waitFor(async () => {
      const text = await agentSees();
      return /echo hi/.test(text) && /^hi$/m.test(text) && text;
    }, { what: 'the agent to see the typed command' });
    expect(seen).toMatch(/echo hi\n(.*\n)?hi/);

    await page.screenshot({ path: join(resultsDir, 'web-terminal-desktop.png'), fullPage: true });
    await context.close();
    const entries = await waitFor(async () => {
      const list = await h.errand.stores.audit.list('api', { limit: 20 });
      return list.some((e) => e.action === 'agent.terminal_close') && list;
    }, { what: 'the audit entry of the closed terminal' });
    expect(entries.find((e) => e.action === 'agent.terminal_open')).toMatchObject({ actor: 'api:api:alice', target: [agentId], terminal: { mode: 'type' } });
    expect(entries.find((e) => e.action === 'agent.terminal_close')).toMatchObject({ actor: 'api:api:alice', target: [agentId], terminal: { mode: 'type', seconds: expect.any(Number) } });
    // Admins read it on the audit page.
    const root = await h.context(h.keys.admin);
    await root.page.goto('/audit');
    await root.page.getByRole('row').filter({ hasText: 'closed the web terminal' }).filter({ hasText: 'typing' }).first().waitFor();
    await root.page.getByRole('row').filter({ hasText: 'opened the web terminal' }).first().waitFor();
    await root.context.close();
  });

  it('keeps what is typed while a stopped machine starts, and sends it once the terminal opens', async () => {
    await teamFollowUps('owner');
    await testSandbox(docker).park(agentId);
    const alice = await signedIn(h.keys.alice);
    const { ticket } = await alice.ticket();
    const { socket } = await connect(ticket!, { origin: h.url, cookie: alice.cookie });
    try {
      // Sent at once, before the machine is running: nothing may be lost.
      socket!.send(JSON.stringify({ type: 'resize', cols: 50, rows: 20 }));
      socket!.send(Buffer.from('echo typed-early\r'), { binary: true });
      await waitFor(async () => /^typed-early$/m.test(await agentSees()), { what: 'the early keystrokes in the machine' });
      const width = (await machine.exec("tmux list-clients -t errand -F '#{client_width}' | head -1")).output.trim();
      expect(width).toBe('50');
    } finally {
      socket!.close();
      await alice.context.close();
    }
  });

  it('refuses a person without rights: 403 on the page and on a ticket, and the WebSocket upgrade', async () => {
    await teamFollowUps('owner');
    const bob = await signedIn(h.keys.bob);
    const pageResponse = await bob.page.goto(`/agents/${agentId}/terminal`);
    expect(pageResponse?.status()).toBe(403);
    expect((await bob.ticket()).status).toBe(403);
    // Not even with a ticket issued to someone else.
    const alice = await signedIn(h.keys.alice);
    const { ticket } = await alice.ticket();
    expect((await connect(ticket!, { origin: h.url, cookie: bob.cookie })).status).toBe(403);
    // Nor without a session at all.
    const { ticket: another } = await alice.ticket();
    expect((await connect(another!, { origin: h.url })).status).toBe(401);
    await bob.context.close();
    await alice.context.close();
  });

  it('refuses a wrong Origin and a ticket used twice', async () => {
    await teamFollowUps('owner');
    const alice = await signedIn(h.keys.alice);
    const { ticket } = await alice.ticket();
    expect((await connect(ticket!, { origin: 'https://evil.example', cookie: alice.cookie })).status).toBe(403);
    expect((await connect(ticket!, { cookie: alice.cookie })).status).toBe(403);
    const first = await connect(ticket!, { origin: h.url, cookie: alice.cookie });
    expect(first.status).toBe(101);
    first.socket!.close();
    expect((await connect(ticket!, { origin: h.url, cookie: alice.cookie })).status).toBe(403);
    await alice.context.close();
  });

  it("shows a teammate the machine read-only: their keystrokes never reach it", async () => {
    await teamFollowUps('everyone');
    const bob = await h.context(h.keys.bob);
    await bob.page.goto(`/agents/${agentId}`);
    await bob.page.getByRole('link', { name: 'Watch terminal' }).click();
    await bob.page.getByRole('status').filter({ hasText: 'read-only' }).waitFor();
    await bob.page.screenshot({ path: join(resultsDir, 'web-terminal-watcher-desktop.png'), fullPage: true });
    await bob.page.locator('#terminal .xterm-screen').click();
    await bob.page.keyboard.type('echo bob-was-here');
    await bob.page.keyboard.press('Enter');
    // Bob's raw frames are dropped by the server too (not only by the page).
    const raw = await signedIn(h.keys.bob);
    const { ticket } = await raw.ticket();
    const watcher = await connect(ticket!, { origin: h.url, cookie: raw.cookie });
    expect(watcher.status).toBe(101);
    watcher.socket!.send(Buffer.from('echo raw-bob\r'), { binary: true });

    // Alice types after them; once her line shows, theirs would have too.
    const alice = await h.context(h.keys.alice);
    await alice.page.goto(`/agents/${agentId}/terminal`);
    await alice.page.getByRole('status').filter({ hasText: 'Connected: you can type.' }).waitFor();
    await alice.page.locator('#terminal .xterm-screen').click();
    await alice.page.keyboard.type('echo alice-after-bob');
    await alice.page.keyboard.press('Enter');
    await waitFor(async () => /^alice-after-bob$/m.test(await agentSees()), { what: "alice's line in the machine" });
    // Bob watches it happen.
    await waitFor(async () => /alice-after-bob/.test(await screenText(bob.page)), { what: "alice's line on bob's screen" });
    const seen = await agentSees();
    expect(seen).not.toContain('bob-was-here');
    expect(seen).not.toContain('raw-bob');

    watcher.socket!.close();
    await raw.context.close();
    await bob.context.close();
    await alice.context.close();
  });

  it('closes the terminal when its person signs out', async () => {
    await teamFollowUps('owner');
    const alice = await signedIn(h.keys.alice);
    const { ticket } = await alice.ticket();
    const { socket } = await connect(ticket!, { origin: h.url, cookie: alice.cookie });
    const closed = new Promise<number>((resolve) => socket!.once('close', (code) => resolve(code)));
    await alice.page.getByRole('button', { name: 'Sign out' }).click();
    await alice.page.waitForURL(/\/login$/);
    expect(await closed).toBe(4401);
    await alice.context.close();
  });

  it('writes screenshots of the terminal at phone width', async () => {
    await teamFollowUps('owner');
    const { context, page } = await h.context(h.keys.alice, { width: 390, height: 844 });
    await page.goto(`/agents/${agentId}/terminal`);
    await page.getByRole('status').filter({ hasText: 'Connected: you can type.' }).waitFor();
    // The TTY follows the page's size: a phone's terminal is narrow.
    const width = async () => Number((await machine.exec("tmux list-clients -t errand -F '#{client_width}' | head -1")).output.trim());
    await waitFor(async () => (await width()) > 20 && (await width()) < 60, { what: 'a phone-sized tmux client' });
    await page.screenshot({ path: join(resultsDir, 'web-terminal-phone.png'), fullPage: true });
    await page.setViewportSize({ width: 1280, height: 900 });
    await waitFor(async () => (await width()) > 100, { what: 'the tmux client to follow the wider page' });
    await page.goto(`/agents/${agentId}`);
    await page.screenshot({ path: join(resultsDir, 'web-terminal-agent-page-phone.png'), fullPage: true });
    await context.close();
  });
});

describe('web terminal, when the machine or the access goes', () => {
  it('leaves no tmux client behind when the page closes', async () => {
    await teamFollowUps('owner');
    const clients = async () => (await machine.exec("tmux list-clients -t errand 2>/dev/null | wc -l")).output.trim();
    const { context, page } = await h.context(h.keys.alice);
    await page.goto(`/agents/${agentId}/terminal`);
    await page.getByRole('status').filter({ hasText: 'Connected: you can type.' }).waitFor();
    await waitFor(async () => (await clients()) === '1', { what: 'one tmux client' });
    await context.close();
    await waitFor(async () => (await clients()) === '0', { what: 'the tmux client to end' });
  });

  it('closes a watcher\'s terminal when the workspace stops letting teammates in', async () => {
    await teamFollowUps('everyone');
    const bob = await signedIn(h.keys.bob);
    const { ticket } = await bob.ticket();
    const { socket } = await connect(ticket!, { origin: h.url, cookie: bob.cookie });
    const closed = new Promise<number>((resolve) => socket!.once('close', (code) => resolve(code)));
    await teamFollowUps('owner');
    expect(await closed).toBe(4403);
    await bob.context.close();
  });

  it('says when a machine is gone, and that an expired agent has none', async () => {
    const { agent } = await h.errand.agents.launch({
      principal: { kind: 'api', workspace: 'api', id: 'alice', name: 'Alice' },
      workspace: 'api',
      conversation: { kind: 'api' },
      prompt: 'No machine here',
      options: { repo },
    });
    await h.drive(agent.id, 'preparing', 'running', { status: 'finished', patch: { summary: 'Done.' } });
    const { context, page } = await h.context(h.keys.alice);
    await page.goto(`/agents/${agent.id}/terminal`);
    await page.getByRole('status').filter({ hasText: "This agent's machine is gone" }).waitFor();

    await h.drive(agent.id, 'expired');
    const response = await page.goto(`/agents/${agent.id}/terminal`);
    expect(response?.status()).toBe(410);
    await page.getByRole('alert').filter({ hasText: 'This agent expired' }).waitFor();
    await page.goto(`/agents/${agent.id}`);
    expect(await page.getByRole('link', { name: 'Open terminal' }).count()).toBe(0);
    await context.close();
  });
});
