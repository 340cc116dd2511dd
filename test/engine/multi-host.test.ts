import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { AgentStatus } from '../../src/core/index.js';
import { coreHarness, type CoreHarness } from '../support/core.js';
import { testDocker, testSandbox } from '../support/docker.js';
import { ada, pushToken, thread } from '../support/engine.js';
import { startFakeOpenAi, type FakeModelServer } from '../support/fake-openai.js';
import { GitServer } from '../support/git-server.js';
import { testRedisUrl } from '../support/redis.js';
import { waitFor } from '../support/wait.js';
import { spawnWorker, type WorkerProcess } from '../support/worker-process-control.js';

// Two worker processes (tsx compiles each) and three runs of one agent in a container.
jest.setTimeout(300_000);

const sandbox = testSandbox(testDocker());
const call = (name: string, args: Record<string, unknown>) => ({ toolCalls: [{ name, arguments: args }] });
let gitServer: GitServer;
let core: CoreHarness | null = null;
let model: FakeModelServer | null = null;
let proxy: ChildProcess | null = null;
let dir = '';
const workers: WorkerProcess[] = [];
const agentIds: string[] = [];

beforeAll(async () => {
  gitServer = await GitServer.start();
  dir = await mkdtemp(join(tmpdir(), 'errand-hosts-'));
});
afterAll(async () => {
  for (const worker of workers.splice(0)) await worker.stop();
  for (const id of agentIds.splice(0)) await sandbox.remove(id);
  proxy?.kill();
  await core?.close();
  await model?.close();
  await gitServer.close();
  await rm(dir, { recursive: true, force: true });
});

describe('workers on two hosts sharing one Redis', () => {
  it('run an agent once and resume each follow-up on the host whose engine holds its machine', async () => {
    // Host b's engine: a socket proxy in front of the one engine here, so the two workers drive "different" engines.
    const socket = join(dir, 'docker-b.sock');
    proxy = spawn('socat', [`UNIX-LISTEN:${socket},fork`, 'UNIX-CONNECT:/var/run/docker.sock'], { stdio: 'ignore' });
    await waitFor(async () => existsSync(socket), { what: 'the second engine socket' });

    model = await startFakeOpenAi([
      { label: 'first run writes', reply: call('write_file', { path: 'a.txt', content: 'a\n' }) },
      { label: 'first run ends', reply: call('finish', { summary: 'wrote a' }) },
      { label: 'follow-up 1 writes', expect: { lastMessageIncludes: 'also write b' }, reply: call('write_file', { path: 'b.txt', content: 'b\n' }) },
      { label: 'follow-up 1 ends', reply: call('finish', { summary: 'wrote b' }) },
      { label: 'follow-up 2 writes', expect: { lastMessageIncludes: 'also write c' }, reply: call('write_file', { path: 'c.txt', content: 'c\n' }) },
      { label: 'follow-up 2 ends', reply: call('finish', { summary: 'wrote c' }) },
    ]);
    core = await coreHarness();
    const h = core;
    h.queue.routeBy(h.stores.machineHosts);
    const repo = `test/hosts-${process.pid}-${Date.now().toString(36)}`;
    const url = await gitServer.createRepo(repo, { 'README.md': '# hosts\n' }, { tokens: [pushToken] });
    const settings = { redisUrl: testRedisUrl(), prefix: h.prefix, queueName: 'runs', modelUrl: model.baseUrl, gitUrl: gitServer.url, pushToken, stalledIntervalMs: 5_000 };
    workers.push(await spawnWorker({ ...settings, dataDir: join(dir, 'a'), host: 'host-a' }));
    workers.push(await spawnWorker({ ...settings, dataDir: join(dir, 'b'), host: 'host-b', dockerHost: `unix://${socket}` }));

    const { agent } = await h.service.launch({ principal: ada, workspace: ada.workspace, conversation: thread, text: `repo=${url} write a` });
    agentIds.push(agent.id);
    const settled = (status: AgentStatus | undefined) => status === 'finished' || status === 'failed';
    const waitSettled = (what: string) => waitFor(async () => {
      const status = (await h.stores.agents.get(agent.id))?.status;
      return settled(status) ? status : undefined;
    }, { timeoutMs: 120_000, intervalMs: 200, what });
    expect(await waitSettled('the first run')).toBe('finished');
    const machineHost = await h.stores.machineHosts.hostOf(agent.id);
    expect(['host-a', 'host-b']).toContain(machineHost);

    for (const text of ['also write b', 'also write c']) {
      const { resumed } = await h.service.followUp(agent.id, ada, text, thread);
      expect(resumed).toBe(true);
      expect(await waitSettled(`the follow-up "${text}"`)).toBe('finished');
      // The worker that runs a job records its host: still the machine's host, so it ran there.
      expect(await h.stores.machineHosts.hostOf(agent.id)).toBe(machineHost);
    }
    const events = await h.stores.events.read(agent.id);
    const statuses = events.flatMap((e) => (e.type === 'status' ? [e.status] : []));
    expect(statuses).toEqual(['queued', 'preparing', 'running', 'finished', 'queued', 'preparing', 'running', 'finished', 'queued', 'preparing', 'running', 'finished']);
    expect(events.filter((e) => e.type === 'milestone' && e.name === 'resumed')).toHaveLength(2);
    model.assertDone();
  });
});
