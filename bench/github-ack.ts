/**
 * How fast Errand answers GitHub's webhooks under load: signed `issue_comment`s that mention
 * @errand at a steady 100 requests/s for 20 s (open loop), then again with 10,000 queued agents in
 * the store; also comments without a mention (verify and parse only). Baseline: GET /healthz at the
 * same rate on the same server, in the same run. GitHub gives up after 10 s.
 *
 *   npx tsx bench/github-ack.ts          (BENCH_QUICK=1: 1 s per phase and 500 queued agents)
 *
 * Layout, as production runs it (web and worker roles apart): this process answers webhooks (a
 * local redis-server, Errand's HTTP server, the benchmark's client); the trigger jobs and the fake
 * GitHub API they call (it stands for GitHub) run in a second process (support/trigger-worker.ts).
 * One more phase measures the `all` layout: the jobs in this process too. Probot's write
 * throttling is off here: reactions and replies run after the answer and would only queue up
 * behind GitHub's pace.
 */
import { reportAck } from './support/ack-metric.js';
import { seedQueuedAgents } from './support/seed-agents.js';
import { ackLoad, quick, steadyLoad } from './support/steady-load.js';
import { installationId, startGitHubRig } from './support/github-rig.js';

const lateMs = 10_000;
const queued = quick ? 500 : 10_000;

const rig = await startGitHubRig({ throttle: false, split: true });
const { redis, stores, agents, http } = rig;
let commentId = 1;
const comment = (body: string, number: number): string => rig.comment(commentId++, number, body);
const post = rig.deliver;
let mentioned = 0;

let number = 300_000;
const healthz = () => steadyLoad({ ...ackLoad, lateMs, send: async () => (await fetch(`${http.url}/healthz`).then(async (r) => (await r.arrayBuffer(), r.ok))) });
// The payloads are made (and told to the fake GitHub) before they are due, so that does not count against the answer.
const mentions = async () => {
  const bodies = Array.from({ length: ackLoad.rate * ackLoad.seconds }, () => comment(`@errand fix bug ${number}`, number++));
  mentioned += bodies.length;
  await rig.sync();
  return steadyLoad({ ...ackLoad, lateMs, send: (i) => post(bodies[i]!) });
};
/** The jobs finish after the answers: wait (a minute at most) until every mention is an agent. */
const settled = async (expected: number): Promise<number> => {
  for (const deadline = Date.now() + 60_000; (await redis.zcard(`bench:agents:ws:${installationId}`)) < expected && Date.now() < deadline;) await new Promise((r) => setTimeout(r, 200));
  return redis.zcard(`bench:agents:ws:${installationId}`);
};

try {
  // Warm up: token minting, JIT, connection pools.
  const warm = Array.from({ length: 20 }, (_, i) => comment(`@errand warm up ${i}`, 100_000 + i));
  mentioned += warm.length;
  await rig.sync();
  await steadyLoad({ rate: 20, seconds: 1, lateMs, send: (i) => post(warm[i]!) });
  await settled(mentioned);

  const base = await healthz();
  const plain = Array.from({ length: ackLoad.rate * ackLoad.seconds }, (_, i) => comment(`just a comment ${i}`, 200_000 + i));
  await rig.sync();
  reportAck('github comment without mention at 100 req/s', await steadyLoad({ ...ackLoad, lateMs, send: (i) => post(plain[i]!) }), base);
  reportAck('github @mention ack at 100 req/s', await mentions(), base);
  console.log(`  mentions ${mentioned}, agents stored ${await settled(mentioned)}`);

  // Role `all`: the jobs in this process too.
  await rig.jobsHere(true);
  const baseAll = await healthz();
  reportAck('github @mention ack at 100 req/s, one process (role all)', await mentions(), baseAll);
  console.log(`  mentions ${mentioned}, agents stored ${await settled(mentioned)}`);
  await rig.jobsHere(false);

  const template = (await agents.list({ workspace: String(installationId), limit: 1 })).agents[0]!;
  await seedQueuedAgents(stores.agents, template, queued);
  const baseQueued = await healthz();
  reportAck(`github @mention ack at 100 req/s, ${queued} queued`, await mentions(), baseQueued);
  const launched = await settled(queued + mentioned);
  console.log(`  agents stored: ${launched} of ${queued + mentioned} (${queued} of them seeded); GitHub API calls: ${await rig.calls()}`);
} finally {
  await rig.close();
}
