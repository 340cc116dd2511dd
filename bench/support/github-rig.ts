import { createHmac, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { AgentService } from '../../src/core/index.js';
import { GitHubFrontend } from '../../src/frontends/github/frontend.js';
import { startHttpServer } from '../../src/frontends/http/server.js';
import { GitHubTriggerQueue } from '../../src/queue/github-trigger-queue.js';
import { BullRunQueue } from '../../src/queue/run-queue.js';
import { connectRedis } from '../../src/redis/connect.js';
import { startLocalRedis } from '../../src/redis/local-server.js';
import { Scrubber } from '../../src/redact/scrubber.js';
import { createRedisStores } from '../../src/store/redis/index.js';
import { FakeGitHub } from '../../test/support/fake-github.js';
import { benchGitHub } from './worker-messages.js';
import { startTriggerWorker, type TriggerWorker } from './worker-process.js';

export const repo = benchGitHub.repo;
export const installationId = benchGitHub.installationId;
const secret = benchGitHub.secret;

/**
 * What the GitHub benchmarks share: a local redis-server, the stores and core, the fake GitHub API
 * with one installation whose `Codertocat` is an admin, the GitHub front end with its trigger
 * queue, and Errand's HTTP server.
 *
 * `split` (the production layout, web and worker roles apart): this process answers webhooks only;
 * the trigger jobs and the fake GitHub (which stands for GitHub) run in a second process
 * (trigger-worker.ts), and `fake` is null. Otherwise everything runs in this process, the fake
 * GitHub's work counting against Errand's (github-eyes reads the fake's call times).
 */
export async function startGitHubRig(options: { throttle: boolean; split?: boolean }) {
  const dir = mkdtempSync(join(tmpdir(), 'errand-bench-'));
  const localRedis = await startLocalRedis({ dir });
  const redis = await connectRedis(localRedis.url);
  const log = pino({ level: 'silent' });
  const clock = { now: () => new Date() };
  const stores = createRedisStores(redis, { prefix: 'bench:', clock, retentionDays: 1 });
  const queue = new BullRunQueue(redis, 'bench-runs', 'bench');
  const agents = new AgentService({ ...stores, queue, clock, log, defaultModel: 'openai:bench' });
  const triggers = new GitHubTriggerQueue(redis, 'bench');
  let fake: FakeGitHub | null = null;
  let worker: TriggerWorker<{ url: string; appId: string; privateKey: string }> | null = null;
  let app: { url: string; appId: string; privateKey: string };
  if (options.split) {
    worker = await startTriggerWorker('github', localRedis.url);
    app = worker.ready;
  } else {
    fake = await FakeGitHub.start();
    fake.addRepo(repo, { installationId });
    fake.grant(repo, 'Codertocat', 'admin');
    app = { url: fake.url, appId: String(fake.appId), privateKey: fake.privateKey };
  }
  const github = new GitHubFrontend({
    appId: app.appId, privateKey: app.privateKey, webhookSecret: secret, apiUrl: app.url, trigger: '@errand',
    agents, dedup: stores.dedup, settings: stores.settings, tracking: stores.githubTracking, claims: stores.leases,
    scrubber: new Scrubber(), log, octokit: { throttle: options.throttle }, triggers,
  });
  if (!worker) await github.startJobs();
  await stores.settings.set(String(installationId), { ...(await stores.settings.get(String(installationId))), maxConcurrentPerWorkspace: 1000, maxConcurrentPerPerson: 1000 });
  const http = await startHttpServer({ host: '127.0.0.1', port: 0, log, mounts: [github.mount] });

  const require = createRequire(import.meta.url);
  const examples = JSON.parse(readFileSync(require.resolve('@octokit/webhooks-examples'), 'utf8')) as { name: string; examples: Record<string, unknown>[] }[];
  const template = examples.find((e) => e.name === 'issue_comment')!.examples.find((p) => p.action === 'created')!;
  /** Comments made since the last `sync`, for the fake GitHub in the worker process. */
  let pending: { id: number; number: number; body: string }[] = [];

  return {
    redis, log, stores, agents, fake, github, http, triggers,
    /** `issue_comment` as `id` on issue `number` saying `body` (also known to the fake GitHub, after `sync` when split), as raw JSON. */
    comment(id: number, number: number, body: string): string {
      const payload = structuredClone(template) as { installation?: unknown; issue: { number: number }; comment: { id: number; body: string } };
      payload.installation = { id: installationId };
      payload.issue.number = number;
      payload.comment.id = id;
      payload.comment.body = body;
      if (fake) fake.addComment({ id, kind: 'issue', repo, number, body, user: 'Codertocat' });
      else pending.push({ id, number, body });
      return JSON.stringify(payload);
    },
    /** Tells the worker process's fake GitHub the comments made since the last call (before a phase, not timed). */
    async sync(): Promise<void> {
      if (worker && pending.length) await worker.comments(pending);
      pending = [];
    },
    /** Role `all` (on): the trigger jobs run in this process instead of the worker process. */
    async jobsHere(on: boolean): Promise<void> {
      if (!worker) return;
      if (on) {
        await worker.jobs(false);
        await github.startJobs();
      } else {
        await triggers.stopWorker();
        await github.idle();
        await worker.jobs(true);
      }
    },
    /** Calls the fake GitHub answered. */
    calls: async (): Promise<number> => (worker ? worker.calls() : fake!.calls.length),
    /** Delivers a raw `issue_comment` webhook, signed; true when it was answered 200. */
    async deliver(raw: string): Promise<boolean> {
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
    },
    async close(): Promise<void> {
      await http.close();
      await triggers.close();
      await github.idle();
      await worker?.close();
      await fake?.close();
      await queue.close();
      await redis.quit();
      await localRedis.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
