import { beforeAll, describe, expect, it } from '@jest/globals';
import { PermanentFailure } from '../../src/core/index.js';
import Docker from 'dockerode';
import { runAgentJob } from '../../src/engine/index.js';
import { JobAbort, type JobContext } from '../../src/queue/run-worker.js';
import { silentLog, testSandbox } from '../support/docker.js';
import { engineTestBed, pushToken, type EngineHarness } from '../support/engine.js';
import { Gate, type FakeStep } from '../support/fake-openai.js';

const bed = engineTestBed();
const { docker } = bed;
let repoUrl = '';

// Runs after the test bed's own beforeAll, which starts the git server.
beforeAll(async () => {
  repoUrl = await bed.gitServer.createRepo(`test/engine-retries-${process.pid}`, { 'README.md': '# retries\n' }, { tokens: [pushToken] });
});

/** The handler is called directly, as the queue worker would on each attempt. */
function attempt(n: number, signal = new AbortController().signal): JobContext {
  return { jobId: 'job', attempt: n, maxAttempts: 3, signal, log: silentLog };
}

function start(steps: FakeStep[], sandbox = testSandbox(docker)): Promise<EngineHarness> {
  return bed.start(steps, { sandbox, worker: false });
}

describe('retrying an agent run', () => {
  it('puts the agent back in the queue while Docker is unreachable, and fails it on the last attempt', async () => {
    const h = await start([], testSandbox(new Docker({ socketPath: '/nonexistent/docker.sock' })));
    const id = await h.launch({ text: `repo=${repoUrl} anything` });

    await expect(runAgentJob(h.deps, 'run', id, attempt(1))).rejects.toMatchObject({ code: 'unavailable' });
    expect((await h.agent(id)).status).toBe('queued');
    const statuses = (await h.events(id)).filter((e) => e.type === 'status');
    expect(statuses.at(-1)).toMatchObject({ status: 'queued', message: expect.stringContaining('retrying (attempt 2 of 3)') });

    await runAgentJob(h.deps, 'run', id, attempt(3));
    const agent = await h.agent(id);
    expect(agent.status).toBe('failed');
    expect(agent.error?.code).toBe('unavailable');
  });

  it('fails at once, without retries, when the request cannot work', async () => {
    const h = await start([]);
    const id = await h.launch({ text: 'repo=acme/widgets fix it' });
    await expect(runAgentJob(h.deps, 'run', id, attempt(1))).rejects.toBeInstanceOf(PermanentFailure);
    const agent = await h.agent(id);
    expect(agent.status).toBe('failed');
    expect(agent.error).toEqual({ code: 'not_configured', message: expect.stringContaining('no GitHub App is configured') });
  });

  it('leaves the agent queued when the worker shuts down mid-run, and the retry finishes it in the same container', async () => {
    const thinking = new Gate();
    const h = await start([
      { label: 'interrupted', holdUntil: thinking, reply: { toolCalls: [{ name: 'finish', arguments: { summary: 'never seen' } }] } },
      { label: 'retry', expect: { lastMessageIncludes: 'anything' }, reply: { toolCalls: [{ name: 'write_file', arguments: { path: 'done.txt', content: 'done\n' } }] } },
      { label: 'finish', reply: { toolCalls: [{ name: 'finish', arguments: { summary: 'Add done.txt' } }] } },
    ]);
    const id = await h.launch({ text: `repo=${repoUrl} anything` });
    const shutdown = new AbortController();
    const first = runAgentJob(h.deps, 'run', id, attempt(1, shutdown.signal));
    await thinking.reached;
    const container = (await h.deps.sandbox.find(id))?.containerId;
    shutdown.abort(new JobAbort('shutdown'));
    await expect(first).rejects.toMatchObject({ code: 'aborted' });
    expect((await h.agent(id)).status).toBe('queued');

    await runAgentJob(h.deps, 'run', id, attempt(2));
    bed.model!.assertDone();
    const agent = await h.agent(id);
    expect(agent.status).toBe('finished');
    expect((await h.deps.sandbox.find(id))?.containerId).toBe(container);
    expect(await bed.gitServer.readFile(`test/engine-retries-${process.pid}`, agent.branch, 'done.txt')).toBe('done\n');
  });
});
