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
import { createHmac, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { AgentService } from '../src/core/index.js';
import { GitHubFrontend } from '../src/frontends/github/frontend.js';
import { startHttpServer } from '../src/frontends/http/server.js';
import { GitHubTriggerQueue } from '../src/queue/github-trigger-queue.js';
import { BullRunQueue } from '../src/queue/run-queue.js';
import { connectRedis } from '../src/redis/connect.js';
import { startLocalRedis } from '../src/redis/local-server.js';
import { Scrubber } from '../src/redact/scrubber.js';
import { createRedisStores } from '../src/store/redis/index.js';
import { FakeGitHub } from '../test/support/fake-github.js';
import { reportAck } from './support/ack-metric.js';
import { seedQueuedAgents } from './support/seed-agents.js';
import { ackLoad, quick, steadyLoad } from './support/steady-load.js';

const lateMs = 10_000;
const queued = quick ? 500 : 10_000;
const repo = 'Codertocat/Hello-World';
const installationId = 77;
const secret = 'bench-secret';

const dir = mkdtempSync(join(tmpdir(), 'errand-bench-'));
const localRedis = await startLocalRedis({ dir });
const redis = await connectRedis(localRedis.url);
const log = pino({ level: 'silent' });
const clock = { now: () => new Date() };
const stores = createRedisStores(redis, { prefix: 'bench:', clock, retentionDays: 1 });
const queue = new BullRunQueue(redis, 'bench-runs', 'bench');
const agents = new AgentService({ ...stores, queue, clock, log, defaultModel: 'openai:bench' });
const triggers = new GitHubTriggerQueue(redis, 'bench');
const fake = await FakeGitHub.start();
fake.addRepo(repo, { installationId });
fake.grant(repo, 'Codertocat', 'admin');
const github = new GitHubFrontend({
  appId: String(fake.appId), privateKey: fake.privateKey, webhookSecret: secret, apiUrl: fake.url, trigger: '@errand',
  agents, dedup: stores.dedup, settings: stores.settings, tracking: stores.githubTracking, claims: stores.leases,
  scrubber: new Scrubber(), log, octokit: { throttle: false }, triggers,
});
await github.start();
await stores.settings.set(String(installationId), { ...(await stores.settings.get(String(installationId))), maxConcurrentPerWorkspace: 1000, maxConcurrentPerPerson: 1000 });
const http = await startHttpServer({ host: '127.0.0.1', port: 0, log, mounts: [github.mount] });

const require = createRequire(import.meta.url);
const examples = JSON.parse(readFileSync(require.resolve('@octokit/webhooks-examples'), 'utf8')) as { name: string; examples: Record<string, unknown>[] }[];
const template = examples.find((e) => e.name === 'issue_comment')!.examples.find((p) => p.action === 'created')!;
let commentId = 1;

function comment(body: string, number: number): string {
  const payload = structuredClone(template) as { installation?: unknown; issue: { number: number }; comment: { id: number; body: string } };
  payload.installation = { id: installationId };
  payload.issue.number = number;
  payload.comment.id = commentId;
  payload.comment.body = body;
  fake.addComment({ id: commentId, kind: 'issue', repo, number, body, user: 'Codertocat' });
  commentId++;
  return JSON.stringify(payload);
}

async function post(raw: string): Promise<boolean> {
  const response = await fetch(`${http.url}/api/github/webhooks`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json', 'x-github-event': 'issue_comment', 'x-github-delivery': randomUUID(),
      'x-hub-signature-256': `sha256=${createHmac('sha256', secret).update(raw).digest('hex')}`,
    },
    body: raw,
  });
  await response.arrayBuffer();
  return response.status === 200;
}

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
  await http.close();
  await triggers.close();
  await github.idle();
  await fake.close();
  await queue.close();
  await redis.quit();
  await localRedis.stop();
  rmSync(dir, { recursive: true, force: true });
}
