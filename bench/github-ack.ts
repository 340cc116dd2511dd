/**
 * How fast Errand answers GitHub's webhooks under load: the time from POST to response for a
 * signed `issue_comment` that mentions @errand (verify, de-duplicate, check write access, launch,
 * enqueue), against two baselines measured in the same run on the same server: GET /healthz and a
 * signed comment without a mention (verify and parse only).
 *
 *   npx tsx bench/github-ack.ts [requests=300] [concurrency=8]
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
import { BullRunQueue } from '../src/queue/run-queue.js';
import { connectRedis } from '../src/redis/connect.js';
import { startLocalRedis } from '../src/redis/local-server.js';
import { Scrubber } from '../src/redact/scrubber.js';
import { createRedisStores } from '../src/store/redis/index.js';
import { FakeGitHub } from '../test/support/fake-github.js';

const requests = Number(process.argv[2] ?? 300);
const concurrency = Number(process.argv[3] ?? 8);
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
const fake = await FakeGitHub.start();
fake.addRepo(repo, { installationId });
fake.grant(repo, 'Codertocat', 'admin');
const github = new GitHubFrontend({
  appId: String(fake.appId), privateKey: fake.privateKey, webhookSecret: secret, apiUrl: fake.url, trigger: '@errand',
  agents, dedup: stores.dedup, settings: stores.settings, tracking: stores.githubTracking, claims: stores.leases,
  scrubber: new Scrubber(), log, octokit: { throttle: false },
});
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

async function post(raw: string): Promise<number> {
  const started = performance.now();
  const response = await fetch(`${http.url}/api/github/webhooks`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json', 'x-github-event': 'issue_comment', 'x-github-delivery': randomUUID(),
      'x-hub-signature-256': `sha256=${createHmac('sha256', secret).update(raw).digest('hex')}`,
    },
    body: raw,
  });
  await response.arrayBuffer();
  if (response.status !== 200) throw new Error(`webhook answered ${response.status}`);
  return performance.now() - started;
}

async function health(): Promise<number> {
  const started = performance.now();
  const response = await fetch(`${http.url}/healthz`);
  await response.arrayBuffer();
  return performance.now() - started;
}

async function load(n: number, one: (i: number) => Promise<number>): Promise<number[]> {
  const times: number[] = [];
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < n) times.push(await one(next++));
  }));
  return times.sort((a, b) => a - b);
}

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((sorted.length - 1) * p))]!;
const fmt = (ms: number) => `${ms.toFixed(1)} ms`;

// Warm up: token minting, JIT, connection pools.
await load(20, (i) => post(comment(`@errand warm up ${i}`, 100_000 + i)));
await github.idle();

const results = {
  healthz: await load(requests, () => health()),
  'comment without mention': await load(requests, (i) => post(comment(`just a comment ${i}`, 200_000 + i))),
  'mention → agent launched': await load(requests, (i) => post(comment(`@errand fix bug ${i}`, 300_000 + i))),
};
await github.idle();
const launched = (await agents.list({ workspace: String(installationId), limit: 10_000 })).agents.length;

const base = pct(results['comment without mention'], 0.5);
console.log(`GitHub webhook ack latency, ${requests} requests per row, ${concurrency} concurrent (2-core machine)`);
for (const [name, times] of Object.entries(results)) {
  console.log(`  ${name.padEnd(26)} median ${fmt(pct(times, 0.5)).padStart(9)}   p99 ${fmt(pct(times, 0.99)).padStart(9)}   median ÷ no-mention ${(pct(times, 0.5) / base).toFixed(2)}`);
}
console.log(`  agents launched: ${launched} (expected ${requests + 20}); GitHub API calls: ${fake.calls.length}`);

await http.close();
await fake.close();
await queue.close();
await redis.quit();
await localRedis.stop();
rmSync(dir, { recursive: true, force: true });
