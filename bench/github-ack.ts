/**
 * How fast Errand answers GitHub's webhooks under load: signed `issue_comment`s that mention
 * @errand at a steady 100 requests/s for 20 s (open loop), then again with 10,000 queued agents in
 * the store; also comments without a mention (verify and parse only). Baseline: GET /healthz at the
 * same rate on the same server, in the same run. GitHub gives up after 10 s.
 *
 *   npx tsx bench/github-ack.ts          (BENCH_QUICK=1: 1 s per phase and 500 queued agents)
 *
 * Everything runs on this machine: a local redis-server, the fake GitHub API on 127.0.0.1 (in this
 * process, so its work counts against Errand's), Errand's HTTP server. Probot's write throttling is
 * off here: reactions and replies run after the answer and would only queue up behind GitHub's pace.
 */
import { reportAck } from './support/ack-metric.js';
import { seedQueuedAgents } from './support/seed-agents.js';
import { ackLoad, quick, steadyLoad } from './support/steady-load.js';
import { installationId, startGitHubRig } from './support/github-rig.js';

const lateMs = 10_000;
const queued = quick ? 500 : 10_000;

const rig = await startGitHubRig({ throttle: false });
const { redis, stores, agents, fake, github, http } = rig;
let commentId = 1;
const comment = (body: string, number: number): string => rig.comment(commentId++, number, body);
const post = rig.deliver;

let number = 300_000;
const healthz = () => steadyLoad({ ...ackLoad, lateMs, send: async () => (await fetch(`${http.url}/healthz`).then(async (r) => (await r.arrayBuffer(), r.ok))) });
// The payloads are made before they are due, so building them does not count against the answer.
const mentions = () => {
  const bodies = Array.from({ length: ackLoad.rate * ackLoad.seconds }, () => comment(`@errand fix bug ${number}`, number++));
  return steadyLoad({ ...ackLoad, lateMs, send: (i) => post(bodies[i]!) });
};

try {
  // Warm up: token minting, JIT, connection pools.
  await steadyLoad({ rate: 20, seconds: 1, lateMs, send: (i) => post(comment(`@errand warm up ${i}`, 100_000 + i)) });
  await github.idle();

  const base = await healthz();
  const plain = Array.from({ length: ackLoad.rate * ackLoad.seconds }, (_, i) => comment(`just a comment ${i}`, 200_000 + i));
  reportAck('github comment without mention at 100 req/s', await steadyLoad({ ...ackLoad, lateMs, send: (i) => post(plain[i]!) }), base);
  reportAck('github @mention ack at 100 req/s', await mentions(), base);
  await github.idle();

  const template = (await agents.list({ workspace: String(installationId), limit: 1 })).agents[0]!;
  await seedQueuedAgents(stores.agents, template, queued);
  const baseQueued = await healthz();
  reportAck(`github @mention ack at 100 req/s, ${queued} queued`, await mentions(), baseQueued);
  // The jobs finish after the answers: wait (a minute at most) until every mention is an agent.
  const expected = queued + 20 + number - 300_000;
  for (const deadline = Date.now() + 60_000; (await redis.zcard(`bench:agents:ws:${installationId}`)) < expected && Date.now() < deadline;) await new Promise((r) => setTimeout(r, 200));
  await github.idle();
  const launched = await redis.zcard(`bench:agents:ws:${installationId}`);
  console.log(`  agents stored: ${launched} (${queued} of them seeded); GitHub API calls: ${fake.calls.length}`);
} finally {
  await rig.close();
}
