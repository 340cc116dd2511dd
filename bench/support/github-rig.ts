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

export const repo = 'Codertocat/Hello-World';
export const installationId = 77;
const secret = 'bench-secret';

/**
 * What the GitHub benchmarks share: a local redis-server, the stores and core, the fake GitHub API
 * (in this process, so its work counts against Errand's) with one installation whose `Codertocat`
 * is an admin, the GitHub front end with its trigger queue, and Errand's HTTP server.
 */
export async function startGitHubRig(options: { throttle: boolean }) {
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
    scrubber: new Scrubber(), log, octokit: { throttle: options.throttle }, triggers,
  });
  await github.startJobs();
  await stores.settings.set(String(installationId), { ...(await stores.settings.get(String(installationId))), maxConcurrentPerWorkspace: 1000, maxConcurrentPerPerson: 1000 });
  const http = await startHttpServer({ host: '127.0.0.1', port: 0, log, mounts: [github.mount] });

  const require = createRequire(import.meta.url);
  const examples = JSON.parse(readFileSync(require.resolve('@octokit/webhooks-examples'), 'utf8')) as { name: string; examples: Record<string, unknown>[] }[];
  const template = examples.find((e) => e.name === 'issue_comment')!.examples.find((p) => p.action === 'created')!;

  return {
    redis, log, stores, agents, fake, github, http,
    /** GitHub's `issue_comment` example as `id` on issue `number` saying `body` (also known to the fake GitHub), as raw JSON. */
    comment(id: number, number: number, body: string): string {
      const payload = structuredClone(template) as { installation?: unknown; issue: { number: number }; comment: { id: number; body: string } };
      payload.installation = { id: installationId };
      payload.issue.number = number;
      payload.comment.id = id;
      payload.comment.body = body;
      fake.addComment({ id, kind: 'issue', repo, number, body, user: 'Codertocat' });
      return JSON.stringify(payload);
    },
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
      await fake.close();
      await queue.close();
      await redis.quit();
      await localRedis.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
