import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { AgentStatus } from '../../src/core/index.js';
import { coreHarness, type CoreHarness } from '../support/core.js';
import { testDocker, testSandbox } from '../support/docker.js';
import { ada, pushToken, thread } from '../support/engine.js';
import { Gate, startFakeOpenAi, type FakeModelServer } from '../support/fake-openai.js';
import { GitServer } from '../support/git-server.js';
import { testRedisUrl } from '../support/redis.js';
import { waitFor } from '../support/wait.js';
import { spawnWorker, type WorkerProcess } from '../support/worker-process-control.js';

// Short intervals so a dead worker's job comes back within seconds (production: 30 s).
const stalledIntervalMs = 1_000;
const sandbox = testSandbox(testDocker());
const call = (name: string, args: Record<string, unknown>) => ({ toolCalls: [{ name, arguments: args }] });
// Two worker processes start per test (tsx compiles each), plus a sandbox and a takeover: on a busy
// machine that takes over a minute. The agent's own bound (two minutes from the kill) is asserted.
jest.setTimeout(240_000);

let gitServer: GitServer;
let core: CoreHarness | null = null;
let model: FakeModelServer | null = null;
let dataDir = '';
const workers: WorkerProcess[] = [];
const agentIds: string[] = [];

beforeAll(async () => {
  gitServer = await GitServer.start();
});
afterAll(async () => {
  await gitServer.close();
});
afterEach(async () => {
  for (const worker of workers.splice(0)) await worker.stop();
  for (const id of agentIds.splice(0)) await sandbox.remove(id);
  await core?.close();
  await model?.close();
  await rm(dataDir, { recursive: true, force: true });
  core = null;
  model = null;
});

async function setUp(steps: Parameters<typeof startFakeOpenAi>[0]): Promise<{ core: CoreHarness; repo: string; url: string }> {
  model = await startFakeOpenAi(steps);
  core = await coreHarness();
  dataDir = await mkdtemp(join(tmpdir(), 'errand-crash-'));
  const repo = `test/crash-${process.pid}-${agentIds.length}-${Date.now().toString(36)}`;
  const url = await gitServer.createRepo(repo, { 'README.md': '# crash test\n' }, { tokens: [pushToken] });
  return { core, repo, url };
}

async function worker(interval = stalledIntervalMs): Promise<WorkerProcess> {
  if (!core || !model) throw new Error('setUp first');
  const started = await spawnWorker({
    redisUrl: testRedisUrl(), prefix: core.prefix, queueName: 'runs', modelUrl: model.baseUrl, gitUrl: gitServer.url, pushToken, dataDir, stalledIntervalMs: interval,
  });
  workers.push(started);
  return started;
}

async function launch(h: CoreHarness, text: string): Promise<string> {
  const { agent } = await h.service.launch({ principal: ada, workspace: ada.workspace, conversation: thread, text });
  agentIds.push(agent.id);
  return agent.id;
}

async function statusOf(h: CoreHarness, id: string): Promise<AgentStatus | undefined> {
  return (await h.stores.agents.get(id))?.status;
}

describe('a worker killed while its agent runs', () => {
  it('has its agent resumed by another worker, which finishes it with exactly one push', async () => {
    const gate = new Gate();
    const { core: h, repo, url } = await setUp([
      { label: 'held while the worker dies', reply: call('write_file', { path: 'lost.txt', content: 'never written\n' }), holdUntil: gate },
      { label: 'write on the new worker', reply: call('write_file', { path: 'notes.txt', content: 'resumed\n' }) },
      { label: 'finish', expect: { lastMessageIncludes: 'notes.txt' }, reply: call('finish', { summary: 'wrote the notes' }) },
    ]);
    const first = await worker();
    const id = await launch(h, `repo=${url} write the notes`);
    await gate.reached;
    expect(await statusOf(h, id)).toBe('running');

    await first.crash();
    const killedAt = Date.now();
    gate.release();
    await worker();

    const settled = await waitFor(async () => {
      const status = await statusOf(h, id);
      return status === 'finished' || status === 'failed' ? status : undefined;
    }, { timeoutMs: 120_000, intervalMs: 200, what: 'the agent to finish on the second worker' });
    expect(Date.now() - killedAt).toBeLessThan(120_000);
    expect(settled).toBe('finished');
    expect(gitServer.pushes(repo)).toBe(1);
    const agent = await h.stores.agents.get(id);
    expect(await gitServer.readFile(repo, agent!.branch, 'notes.txt')).toBe('resumed\n');
    const statuses = (await h.stores.events.read(id)).flatMap((e) => (e.type === 'status' ? [e.status] : []));
    expect(statuses).toEqual(['queued', 'preparing', 'running', 'queued', 'preparing', 'running', 'finished']);
    model!.assertDone();
  });

  it('is stopped at once when someone stops it, and the next worker pushes its work so far', async () => {
    const gate = new Gate();
    const { core: h, repo, url } = await setUp([
      { label: 'write a draft', reply: call('write_file', { path: 'draft.txt', content: 'half done\n' }) },
      { label: 'held while the worker dies', expect: { lastMessageIncludes: 'draft.txt' }, reply: call('finish', { summary: 'never' }), holdUntil: gate },
    ]);
    const first = await worker();
    const id = await launch(h, `repo=${url} write a draft`);
    await gate.reached;
    await first.crash();
    gate.release();
    // The dead worker's lease lapses within one lease lifetime; until then it might still be alive.
    await waitFor(async () => !(await h.stores.runLeases.held(id)), { timeoutMs: 10_000, what: 'the dead worker’s lease to lapse' });

    const answer = await h.service.stop(id, ada);
    expect(answer.status).toBe('stopped');
    expect(await statusOf(h, id)).toBe('stopped');

    await worker();
    const agent = await waitFor(async () => {
      const current = await h.stores.agents.get(id);
      return current?.summary?.includes('pushed') ? current : undefined;
    }, { timeoutMs: 60_000, intervalMs: 200, what: 'the work so far to be pushed' });
    expect(agent.status).toBe('stopped');
    expect(gitServer.pushes(repo)).toBe(1);
    expect(await gitServer.readFile(repo, agent.branch, 'draft.txt')).toBe('half done\n');
    expect((await gitServer.lastCommit(repo, agent.branch)).subject).toMatch(/^WIP/);
    // The stalled run job came back too, and left the stopped agent alone.
    await waitFor(async () => (await h.queue.queue.getActiveCount()) === 0 && (await h.queue.queue.getWaitingCount()) === 0, { what: 'the queue to drain' });
    expect(await statusOf(h, id)).toBe('stopped');
    expect(model!.requests).toHaveLength(2);
  });

  it('honours a stop asked for before its lease lapsed: the worker that takes it over stops it and pushes', async () => {
    const gate = new Gate();
    const { core: h, repo, url } = await setUp([
      { label: 'write a draft', reply: call('write_file', { path: 'draft.txt', content: 'half done\n' }) },
      { label: 'held while the worker dies', expect: { lastMessageIncludes: 'draft.txt' }, reply: call('finish', { summary: 'never' }), holdUntil: gate },
    ]);
    // A longer lease, so that the stop comes while the dead worker still looks alive.
    const first = await worker(5_000);
    const id = await launch(h, `repo=${url} write a draft`);
    await gate.reached;
    await first.crash();
    gate.release();
    expect(await h.stores.runLeases.held(id)).toBe(true);
    expect((await h.service.stop(id, ada)).status).toBe('running');

    await worker(5_000);
    const agent = await waitFor(async () => {
      const current = await h.stores.agents.get(id);
      return current?.status === 'stopped' && current.summary?.includes('pushed') ? current : undefined;
    }, { timeoutMs: 90_000, intervalMs: 200, what: 'the agent to be stopped with its work pushed' });
    expect(gitServer.pushes(repo)).toBe(1);
    expect(await gitServer.readFile(repo, agent.branch, 'draft.txt')).toBe('half done\n');
    expect(model!.requests).toHaveLength(2);
  });
});
