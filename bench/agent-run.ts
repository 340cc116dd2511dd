// Launch → first model call of an agent with a warm install snapshot (median, p90), against
// `docker run --rm` of the same image in the same run (the container floor) and the warm sandbox
// prepare alone; follow-up → next model call, for a follow-up sent while the agent works and one
// sent after it finished (a resume); the worker's memory with `concurrent` agents held mid-run at
// their first model call. Prints BENCH lines (bench/support/report.ts).
// Usage: node --expose-gc --import tsx bench/agent-run.ts [runs=7] [concurrent=50] [followUps=20] [resumes=20]
// (runs 0 or concurrent 0 skip those parts). The resume's phases (median ms from the follow-up) are printed too.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { AgentService, newAgentId, type Log } from '../src/core/index.js';
import { createRunHandler, type EngineDeps } from '../src/engine/index.js';
import { ProviderRegistry } from '../src/engine/providers/index.js';
import { WarmRuns } from '../src/engine/warm-runs.js';
import { PlainRemoteHost } from '../src/git/plain-remote-host.js';
import { clone } from '../src/git/remote.js';
import { BullRunQueue } from '../src/queue/run-queue.js';
import { RunWorker } from '../src/queue/run-worker.js';
import { connectRedis } from '../src/redis/connect.js';
import { startLocalRedis } from '../src/redis/local-server.js';
import { Scrubber } from '../src/redact/scrubber.js';
import { DockerSandbox } from '../src/sandbox/docker/docker-sandbox.js';
import { createRedisStores } from '../src/store/redis/index.js';
import { Gate, startFakeOpenAi, type FakeReply, type SeenRequest } from '../test/support/fake-openai.js';
import { GitServer } from '../test/support/git-server.js';
import { waitFor } from '../test/support/wait.js';
import { percentile, reportMetric, round } from './support/report.js';
import { Spans } from './support/spans.js';

const runs = Number(process.argv[2] ?? 7);
const concurrent = Number(process.argv[3] ?? 50);
const followUps = Number(process.argv[4] ?? 20);
const resumes = Number(process.argv[5] ?? 20);
const image = process.env.ERRAND_BASE_IMAGE ?? 'errand-base:bookworm';
const silent: Log = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined, child: () => silent };
// ERRAND_MACHINE_POOL_SIZE as in production (default 1); 0 measures the path without a pool.
const poolSize = Number(process.env.ERRAND_MACHINE_POOL_SIZE ?? 1);
/** Where each prepare's time went (the sandbox logs its phases), and whether it claimed a pool machine. */
const prepares: { phases: Record<string, number>; pooled: boolean }[] = [];
const phaseLog: Log = {
  ...silent,
  info: (fields: unknown) => {
    const entry = fields as { phases?: Record<string, number>; pooled?: boolean };
    if (entry?.phases) prepares.push({ phases: entry.phases, pooled: Boolean(entry.pooled) });
  },
  warn: (fields: unknown, message?: string) => console.error('warn:', message, fields instanceof Object && 'err' in fields ? String((fields as { err: unknown }).err) : ''),
  child: () => phaseLog,
};
const docker = new Docker();
const token = 'bench-push-token-0123456789';
const work = await mkdtemp(join(tmpdir(), 'errand-bench-'));
const redisServer = await startLocalRedis({ dir: join(work, 'redis') });
const redis = await connectRedis(redisServer.url);
const gitServer = await GitServer.start();
const repoName = `bench/agent-run-${process.pid}`;
const repoUrl = await gitServer.createRepo(repoName, {
  'README.md': '# bench\n',
  '.errand/environment.json': JSON.stringify({ install: 'mkdir -p deps && echo installed > deps/ok', terminals: [{ name: 'dev', command: 'echo ready' }] }),
  '.gitignore': 'deps\n',
}, { tokens: [token] });

/** Every request: no tool result yet → run a command; else → finish. */
const reply = (request: SeenRequest): FakeReply =>
  request.messages.some((m) => m.role === 'tool')
    ? { toolCalls: [{ name: 'finish', arguments: { summary: 'Nothing to do' } }] }
    : { toolCalls: [{ name: 'run', arguments: { command: 'true' } }] };
const model = await startFakeOpenAi();

const clock = { now: () => new Date() };
const stores = createRedisStores(redis, { prefix: 'bench:', clock, retentionDays: 1 });
const queue = new BullRunQueue(redis, 'runs', 'bench');
/** Where a resume's time goes: the engine's calls into its dependencies, timed from the follow-up. */
const spans = new Spans();
const service = new AgentService({ ...stores, queue: spans.wrap(queue, 'queue', ['enqueue']), clock, log: silent, defaultModel: 'openai:bench' });
// Machines stay warm after a run as with the default ERRAND_MACHINE_IDLE_SECONDS, so a follow-up after the end finds them running.
const sandbox = new DockerSandbox({ docker: spans.wrap(docker, 'docker', ['ping', 'listContainers', 'getContainer']), log: phaseLog, baseImage: image, network: 'none', snapshotsKept: 3, memoryMb: 256, cpus: 1, pids: 128, idleGraceMs: 300_000, maxWarm: 10, poolSize, poolMax: 4 });
// The warm prepare alone is measured on a sandbox of its own without a pool, so it never takes the
// machine the pool keeps for the next launch (and says what a launch that finds none costs).
const plainSandbox = new DockerSandbox({ docker, log: silent, baseImage: image, network: 'none', snapshotsKept: 3, memoryMb: 256, cpus: 1, pids: 128 });
const scrubber = new Scrubber();
const deps: EngineDeps = {
  agents: spans.wrap(service, 'agents', ['get', 'require', 'transition']), store: stores.agents, events: stores.events,
  inbox: spans.wrap(stores.inbox, 'inbox', ['drain']), history: spans.wrap(stores.history, 'history', ['load']),
  models: new ProviderRegistry({ config: { defaultModel: 'openai:bench', models: [], openaiApiKey: 'sk-bench-0123456789abcdefghij', openaiBaseUrl: model.baseUrl, anthropicApiKey: undefined, anthropicBaseUrl: undefined, modelEndpoints: {}, modelMaxRetries: 0, modelTimeoutMs: 60_000 } }),
  sandbox: spans.wrap(sandbox, 'sandbox', ['find']),
  repoHosts: [spans.wrap(new PlainRemoteHost({ credentials: [{ urlPrefix: gitServer.url, token }] }), 'host', ['access', 'defaultBranch'])],
  secrets: null, runLeases: spans.wrap(stores.runLeases, 'lease', ['acquire']), scrubber,
  warmRuns: spans.wrap(new WarmRuns({ dataDir: join(work, 'data'), log: silent }), 'warmRuns', ['begin']),
  settings: { dataDir: join(work, 'data'), limits: { maxSteps: 1000, maxMs: 600_000, maxTokens: null }, commandTimeoutMs: 60_000, bot: { name: 'Errand', email: 'errand@example.com' } },
};
const handler = createRunHandler(deps);
const worker = new RunWorker({ connection: redis, handler: (name, payload, context) => { spans.mark('job handed out'); return handler(name, payload, context); }, stops: stores.stops, log: silent, concurrency: Math.max(concurrent, 2), queueName: 'runs', prefix: 'bench' });
await worker.start();
const principal = { kind: 'api', workspace: 'bench', id: 'bench', name: 'Bench' } as const;
const agentIds: string[] = [];

async function launch(): Promise<string> {
  const { agent } = await service.launch({ principal, workspace: 'bench', conversation: { kind: 'api' }, text: `repo=${repoUrl} do nothing` });
  agentIds.push(agent.id);
  return agent.id;
}

/** `docker run --rm IMAGE true` through the API: create, start, wait, remove. */
async function dockerRunMs(): Promise<number> {
  const started = performance.now();
  const container = await docker.createContainer({ Image: image, Cmd: ['true'], Labels: { 'errand.repo': repoName }, HostConfig: { NetworkMode: 'none' } });
  await container.start();
  await container.wait();
  await container.remove({ force: true });
  return performance.now() - started;
}

const sorted = (values: number[]) => [...values].sort((a, b) => a - b);
const settled = async (id: string) => {
  const agent = await waitFor(async () => {
    const found = await stores.agents.get(id);
    return found?.status === 'finished' || found?.status === 'failed' ? found : undefined;
  }, { timeoutMs: 300_000, what: `agent ${id}` });
  if (agent.status === 'failed') throw new Error(`agent ${id} failed: ${JSON.stringify(agent.error)}`);
};
const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
const gc = (globalThis as { gc?: () => void }).gc;
const memory = () => {
  gc?.();
  const m = process.memoryUsage();
  return { rss: m.rss, heap: m.heapUsed + m.external };
};

try {
  // Warm-up: builds the install snapshot every later run starts from.
  model.add({ reply }, { reply });
  await settled(await launch());

  const checkout = join(work, 'checkout');
  await clone({ url: repoUrl, token }, checkout);
  const launchToFirstCall: number[] = [];
  const launchPhases: { phases: Record<string, number>; pooled: boolean }[] = [];
  const prepareOnly: number[] = [];
  const dockerRun: number[] = [];
  // Launches one after another in one workspace and repository, as a team's would come: the pool
  // refills in the background meanwhile, and nothing here waits for it.
  for (let i = 0; i < runs; i++) {
    dockerRun.push(await dockerRunMs());
    const before = model.requests.length;
    model.add({ reply }, { reply });
    const started = Date.now();
    const prepared = prepares.length;
    const id = await launch();
    await waitFor(() => (model.requests.length > before ? true : undefined), { timeoutMs: 120_000 });
    launchToFirstCall.push(model.requests[before]!.receivedAt - started);
    if (prepares[prepared]) launchPhases.push(prepares[prepared]);
    await settled(id);

    const agentId = newAgentId();
    const t = performance.now();
    const handle = await plainSandbox.prepare({ agentId, workspace: 'bench', repoDir: checkout, repo: repoName, network: 'none' });
    await handle.whenReady;
    prepareOnly.push(performance.now() - t);
    await plainSandbox.remove(agentId);
  }

  // The launch numbers first: the phases below take long and load the machine. The container floor
  // is measured with the launches; a run without them (runs = 0) measures it once here.
  if (dockerRun.length === 0) dockerRun.push(await dockerRunMs());
  const firstCallMedian = median(launchToFirstCall);
  const prepareMedian = median(prepareOnly);
  const runMedian = median(dockerRun);
  const firstCalls = sorted(launchToFirstCall);
  if (runs > 0) reportMetric({
    metric: 'warm launch → first model call',
    goal: '≤ 2× docker run --rm and < 800 ms',
    unit: 'ms',
    median: round(firstCallMedian, 0),
    p99: round(percentile(firstCalls, 99), 0),
    n: runs,
    baseline: round(runMedian, 0),
    baselineName: 'docker run --rm (same image)',
    ratio: round(firstCallMedian / runMedian),
    pass: firstCallMedian <= 2 * runMedian && firstCallMedian < 800,
  });
  const prepareTimes = sorted(prepareOnly);
  if (runs > 0) reportMetric({
    metric: 'warm sandbox prepare, no pool machine (until ready for commands)',
    goal: '≤ 2× docker run --rm (what a launch that finds no pool machine costs)',
    unit: 'ms',
    median: round(prepareMedian, 0),
    p99: round(percentile(prepareTimes, 99), 0),
    n: prepareTimes.length,
    baseline: round(runMedian, 0),
    baselineName: 'docker run --rm (same image)',
    ratio: round(prepareMedian / runMedian),
    pass: prepareMedian <= 2 * runMedian,
  });
  // Memory: `concurrent` agents held at their first model call.
  const idle = memory();
  let busy = idle;
  if (concurrent > 0) {
    const held = new Gate();
    for (let i = 0; i < concurrent; i++) model.add({ reply, holdUntil: held });
    for (let i = 0; i < concurrent; i++) model.add({ reply });
    const base = model.requests.length;
    const ids = await Promise.all(Array.from({ length: concurrent }, () => launch()));
    await waitFor(() => (model.requests.length >= base + concurrent ? true : undefined), { timeoutMs: 600_000, intervalMs: 200, what: 'every agent at its first model call' });
    busy = memory();
    held.release();
    await Promise.all(ids.map(settled));
  }

  // Follow-ups while the agent works: it runs `true` step after step until told to stop.
  const followUpText = (i: number) => `bench follow-up ${i}`;
  const working = (request: SeenRequest): FakeReply =>
    request.messages.some((m) => m.text.includes('bench stop')) ? { toolCalls: [{ name: 'finish', arguments: { summary: 'stopped' } }] } : { toolCalls: [{ name: 'run', arguments: { command: 'true' } }] };
  for (let i = 0; i < 2000; i++) model.add({ reply: working });
  const whileRunning: number[] = [];
  const busyId = await launch();
  const base2 = model.requests.length;
  await waitFor(() => (model.requests.length >= base2 + 2 ? true : undefined), { timeoutMs: 120_000, what: 'the agent at work' });
  const source = { kind: 'api' } as const;
  for (let i = 0; i < followUps; i++) {
    await new Promise((r) => setTimeout(r, 50 + Math.random() * 150));
    const sent = Date.now();
    const from = model.requests.length;
    await service.followUp(busyId, principal, followUpText(i), source);
    const seen = await waitFor(() => model.requests.slice(from).find((r) => r.messages.some((m) => m.text.includes(followUpText(i)))), { timeoutMs: 60_000, intervalMs: 5, what: `follow-up ${i}` });
    whileRunning.push(seen.receivedAt - sent);
  }
  await service.followUp(busyId, principal, 'bench stop', source);
  await settled(busyId);

  // Follow-ups after the end: each one resumes the finished agent.
  const afterEnd: number[] = [];
  for (let i = 0; i < resumes; i++) {
    const text = `${followUpText(100 + i)} bench stop`;
    const from = model.requests.length;
    spans.begin();
    const sent = Date.now();
    await service.followUp(busyId, principal, text, source);
    spans.mark('follow-up accepted');
    const seen = await waitFor(() => model.requests.slice(from).find((r) => r.messages.some((m) => m.text.includes(text))), { timeoutMs: 120_000, intervalMs: 5, what: `resume ${i}` });
    afterEnd.push(seen.receivedAt - sent);
    spans.end();
    await waitFor(async () => ((await stores.agents.get(busyId))?.status === 'finished' && (await stores.history.load(busyId))?.some((m) => JSON.stringify(m).includes(text)) ? true : undefined), { timeoutMs: 120_000, what: `resume ${i} to finish` });
  }

  const running = sorted(whileRunning);
  reportMetric({
    metric: 'follow-up while running → next model call',
    goal: 'p99 < 300 ms, none lost',
    unit: 'ms',
    median: round(percentile(running, 50), 0),
    p99: round(percentile(running, 99), 0),
    n: running.length,
    pass: percentile(running, 99) < 300 && running.length === followUps,
  });
  const resumed = sorted(afterEnd);
  reportMetric({
    metric: 'follow-up after the end (resume) → next model call',
    goal: 'p99 < 300 ms, none lost',
    unit: 'ms',
    median: round(percentile(resumed, 50), 0),
    p99: round(percentile(resumed, 99), 0),
    n: resumed.length,
    baseline: round(runMedian, 0),
    baselineName: 'docker run --rm (same image)',
    ratio: round(percentile(resumed, 50) / runMedian),
    pass: percentile(resumed, 99) < 300 && resumed.length === resumes,
  });
  console.log('resume phases (median ms from the follow-up to the start and end of each call; #2 = its second call in a resume):');
  for (const span of spans.summary()) console.log(`  ${span.name.padEnd(24)} ${String(span.startMs).padStart(6)} → ${String(span.endMs).padStart(6)}  (n ${span.n})`);
  const busyMb = busy.rss / 2 ** 20;
  if (concurrent > 0) reportMetric({
    metric: `worker memory (RSS) with ${concurrent} agents held`,
    goal: '< 400 MB',
    unit: 'MB',
    median: round(busyMb, 1),
    p99: round(busyMb, 1),
    n: 1,
    baseline: round(idle.rss / 2 ** 20, 1),
    baselineName: 'the same worker idle',
    ratio: round(busy.rss / idle.rss),
    pass: busyMb < 400,
  });
  console.log(JSON.stringify({
    runs,
    image,
    dockerRunMs: dockerRun.map(Math.round),
    launchToFirstModelCallMs: launchToFirstCall,
    launchToFirstModelCallMedianMs: Math.round(firstCallMedian),
    launchToFirstModelCallP90Ms: Math.round(percentile(firstCalls, 90)),
    warmSandboxPrepareMedianMs: Math.round(prepareMedian),
    poolSize,
    launchesFromPool: launchPhases.filter((p) => p.pooled).length,
    launchPhasesMs: launchPhases.map((p) => ({ pooled: p.pooled, ...p.phases })),
    firstCallOverDockerRun: Number((firstCallMedian / runMedian).toFixed(2)),
    launchPrepareMedianMs: Math.round(median(launchPhases.map((p) => Object.values(p.phases).reduce((a, b) => a + b, 0)))),
    engineOverheadMedianMs: Math.round(firstCallMedian - median(launchPhases.map((p) => Object.values(p.phases).reduce((a, b) => a + b, 0)))),
    followUpWhileRunningMs: whileRunning,
    followUpAfterEndMs: afterEnd,
    concurrentAgents: concurrent,
    gcExposed: Boolean(gc),
    workerRssIdleMb: Number((idle.rss / 2 ** 20).toFixed(1)),
    workerRssBusyMb: Number((busy.rss / 2 ** 20).toFixed(1)),
    rssPerAgentMb: Number(((busy.rss - idle.rss) / concurrent / 2 ** 20).toFixed(2)),
    heapPerAgentMb: Number(((busy.heap - idle.heap) / concurrent / 2 ** 20).toFixed(2)),
  }, null, 2));
} finally {
  await worker.close(true);
  for (const id of agentIds) await sandbox.remove(id).catch(() => undefined);
  for (const container of await docker.listContainers({ all: true, filters: { label: [`errand.repo=${repoName}`] } })) {
    await docker.getContainer(container.Id).remove({ force: true }).catch(() => undefined);
  }
  for (const image of await docker.listImages({ filters: { label: [`errand.repo=${repoName}`] } })) {
    await docker.getImage(image.Id).remove({ force: true }).catch(() => undefined);
  }
  await queue.close();
  await model.close();
  await gitServer.close();
  await redis.quit();
  await redisServer.stop();
  await rm(work, { recursive: true, force: true });
}
