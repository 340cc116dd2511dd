/**
 * How fast `POST /v0/agents` answers under load: a steady 100 launches/s for 20 s, open loop,
 * then again with 10,000 queued agents in the store (launch cost must not grow with the queue).
 * Baseline: GET /healthz at the same rate on the same server, in the same run. The server warms its
 * launch path at start as Errand's web role does (src/frontends/warm-up.ts); the benchmark sends
 * no launches of its own before the first phase, so that phase is the server's first launches.
 *
 *   npx tsx bench/api-ack.ts          (BENCH_QUICK=1: 1 s per phase and 500 queued agents)
 */
import { reportAck } from './support/ack-metric.js';
import { gcLine, watchGc } from './support/gc-watch.js';
import { launchBody, startApiRig } from './support/api-rig.js';
import { seedQueuedAgents } from './support/seed-agents.js';
import { ackLoad, quick, steadyLoad } from './support/steady-load.js';

const lateMs = 3_000;
const queued = quick ? 500 : 10_000;
const rig = await startApiRig([], { warmUp: true });
let sent = 0;
const healthz = () => steadyLoad({ ...ackLoad, lateMs, send: async () => (await fetch(`${rig.url}/healthz`).then(async (r) => (await r.arrayBuffer(), r.ok))) });
const launches = () => steadyLoad({ ...ackLoad, lateMs, send: async () => (await rig.call('POST', '/v0/agents', launchBody(`fix bug ${sent++}`))).status === 201 });

try {
  const base = await healthz();
  const cpu = process.cpuUsage();
  const gc = watchGc();
  reportAck('POST /v0/agents at 100 req/s (first launches after start)', await launches(), base);
  const gcFirst = await gc.stop();
  // CPU per launch (server and client in this process) says more than latency on a busy machine: cold code costs CPU.
  const cpuMs = (since: NodeJS.CpuUsage) => { const used = process.cpuUsage(since); return (used.user + used.system) / 1000; };
  process.stdout.write(`  CPU per launch, first launches after start: ${(cpuMs(cpu) / ackLoad.rate / ackLoad.seconds).toFixed(2)} ms; ${gcLine(gcFirst)}\n`);

  const template = (await rig.agents.list({ workspace: 'api', limit: 1 })).agents[0]!;
  await seedQueuedAgents(rig.stores.agents, template, queued);
  const baseQueued = await healthz();
  const cpuQueued = process.cpuUsage();
  const gcQueued = watchGc();
  reportAck(`POST /v0/agents at 100 req/s, ${queued} queued`, await launches(), baseQueued);
  const gcQueuedStats = await gcQueued.stop();
  process.stdout.write(`  CPU per launch, ${queued} queued: ${(cpuMs(cpuQueued) / ackLoad.rate / ackLoad.seconds).toFixed(2)} ms; ${gcLine(gcQueuedStats)}\n`);
} finally {
  await rig.close();
}
