/**
 * 👀 under a burst: 25 signed mentions in one installation at once (BENCH_QUICK=1: 3), with
 * Probot's write throttling ON (one write a second per installation, 3 s between notifying
 * comments) and the notification dispatcher posting tracking comments. Reports how long after its
 * webhook each comment's 👀 and its issue's tracking comment reached the fake GitHub. Baseline: the
 * throttle's floor for the 👀 alone (half the burst, in seconds: one write a second).
 *
 *   npx tsx bench/github-eyes.ts
 */
import { createHmac, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { AgentService, NotifyDispatcher } from '../src/core/index.js';
import { GitHubFrontend } from '../src/frontends/github/frontend.js';
import { startHttpServer } from '../src/frontends/http/server.js';
import { GitHubTriggerQueue } from '../src/queue/github-trigger-queue.js';
import { BullRunQueue } from '../src/queue/run-queue.js';
import { connectRedis } from '../src/redis/connect.js';
import { startLocalRedis } from '../src/redis/local-server.js';
import { Scrubber } from '../src/redact/scrubber.js';
import { createRedisStores } from '../src/store/redis/index.js';
import { FakeGitHub } from '../test/support/fake-github.js';
import { percentile, reportMetric, round } from './support/report.js';
import { quick } from './support/steady-load.js';

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
  scrubber: new Scrubber(), log, octokit: { throttle: true }, triggers,
});
await github.start();
await stores.settings.set(String(installationId), { ...(await stores.settings.get(String(installationId))), maxConcurrentPerWorkspace: 1000, maxConcurrentPerPerson: 1000 });
const http = await startHttpServer({ host: '127.0.0.1', port: 0, log, mounts: [github.mount] });


const dispatcher = new NotifyDispatcher({ ...stores, notifiers: [github.notifier], log, intervalMs: 20, sweepMs: 60_000 });
await dispatcher.start();
const require = createRequire(import.meta.url);
const examples = JSON.parse(readFileSync(require.resolve('@octokit/webhooks-examples'), 'utf8')) as { name: string; examples: Record<string, unknown>[] }[];
const template = examples.find((e) => e.name === 'issue_comment')!.examples.find((p) => p.action === 'created')!;
const burst = quick ? 3 : 25;
const sent: number[] = [];
try {
  await Promise.all(Array.from({ length: burst }, async (_, i) => {
    const payload = structuredClone(template) as { installation?: unknown; issue: { number: number }; comment: { id: number; body: string } };
    payload.installation = { id: installationId };
    payload.issue.number = 500 + i;
    payload.comment.id = 9000 + i;
    payload.comment.body = `@errand fix bug ${i}`;
    fake.addComment({ id: 9000 + i, kind: 'issue', repo, number: 500 + i, body: payload.comment.body, user: 'Codertocat' });
    const raw = JSON.stringify(payload);
    sent[i] = Date.now();
    await fetch(`${http.url}/api/github/webhooks`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-github-event': 'issue_comment', 'x-github-delivery': randomUUID(), 'x-hub-signature-256': `sha256=${createHmac('sha256', secret).update(raw).digest('hex')}` }, body: raw }).then((r) => r.arrayBuffer());
  }));
  const deadline = Date.now() + 180_000;
  const tracking = () => fake.calls.filter((c) => c.method === 'POST' && /\/issues\/\d+\/comments$/.test(c.path));
  while (Date.now() < deadline && (fake.reactions.length < burst || tracking().length < burst)) await new Promise((r) => setTimeout(r, 200));
  const eyes = fake.calls.filter((c) => c.path.endsWith('/reactions')).map((c) => c.at - sent[Number(/comments\/(\d+)\/reactions/.exec(c.path)![1]) - 9000]!).sort((a, b) => a - b);
  const comments = tracking().map((c) => c.at - sent[Number(/issues\/(\d+)\/comments/.exec(c.path)![1]) - 500]!).sort((a, b) => a - b);
  const floor = (burst / 2) * 1000;
  reportMetric({
    metric: `👀 after a burst of ${burst} mentions (throttled)`, goal: 'at the throttle floor, before other writes', unit: 'ms',
    median: round(percentile(eyes, 50)), p99: round(percentile(eyes, 99)), n: eyes.length, baseline: floor, baselineName: 'one write a second', ratio: round(percentile(eyes, 50) / floor), pass: eyes.length === burst && percentile(eyes, 50) <= floor * 1.5,
  });
  reportMetric({ metric: `tracking comment after a burst of ${burst} mentions (throttled)`, goal: 'one per issue', unit: 'ms', median: round(percentile(comments, 50)), p99: round(percentile(comments, 99)), n: comments.length, pass: comments.length === burst });
} finally {
  await dispatcher.close();
  await http.close();
  await triggers.close();
  await fake.close();
  await queue.close();
  await redis.quit();
  await localRedis.stop();
  rmSync(dir, { recursive: true, force: true });
}
