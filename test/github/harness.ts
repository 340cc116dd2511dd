import { createHmac, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { NotifyDispatcher, type Agent } from '../../src/core/index.js';
import { GitHubFrontend } from '../../src/frontends/github/frontend.js';
import { startHttpServer, type RunningHttpServer } from '../../src/frontends/http/server.js';
import { GitHubTriggerQueue } from '../../src/queue/github-trigger-queue.js';
import { Scrubber } from '../../src/redact/scrubber.js';
import { coreHarness, silentLog, type CoreHarness } from '../support/core.js';
import { FakeGitHub } from '../support/fake-github.js';
import { perTest } from '../support/per-test.js';

export const repo = 'Codertocat/Hello-World';
export const installationId = 4321;
export const webhookSecret = 'test-webhook-secret-4f1c';

interface Example {
  name: string;
  examples: Record<string, unknown>[];
}

const require = createRequire(import.meta.url);
const examples = JSON.parse(readFileSync(require.resolve('@octokit/webhooks-examples'), 'utf8')) as Example[];

/** A real payload from @octokit/webhooks-examples, copied so a test may adjust it. */
export function example(event: string, action: string, pick: (payload: Record<string, unknown>) => boolean = () => true): Record<string, unknown> {
  const found = examples.find((e) => e.name === event)?.examples.find((p) => p.action === action && pick(p));
  if (!found) throw new Error(`no ${event}.${action} example`);
  return structuredClone(found);
}

type Json = Record<string, unknown>;
const obj = (value: unknown) => value as Json;

/** Points a payload at the test installation and sets who commented what. */
function aim(payload: Json, options: { login: string; userType?: 'User' | 'Bot' }): Json {
  payload.installation = { id: installationId, node_id: 'MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uMQ==' };
  const user = { ...obj(obj(payload.sender)), login: options.login, type: options.userType ?? 'User' };
  payload.sender = user;
  return payload;
}

export interface CommentOptions {
  body: string;
  login?: string;
  userType?: 'User' | 'Bot';
  number?: number;
  commentId?: number;
  pullRequest?: boolean;
  action?: 'created' | 'edited';
  previousBody?: string;
}

export interface GitHubHarness {
  core: CoreHarness;
  fake: FakeGitHub;
  github: GitHubFrontend;
  http: RunningHttpServer;
  dispatcher: NotifyDispatcher;
  /** POSTs a webhook signed as GitHub signs it; returns the HTTP status. */
  deliver(event: string, payload: Json, options?: { deliveryId?: string; signature?: string | null; sha1Only?: boolean; raw?: string }): Promise<{ status: number; deliveryId: string }>;
  /** An `issue_comment` payload from the examples, aimed at the test repo; the fake knows the comment. */
  issueComment(options: CommentOptions): Json;
  reviewComment(options: CommentOptions & { inReplyTo?: number }): Json;
  agents(): Promise<Agent[]>;
  close(): Promise<void>;
}

let nextCommentId = 700_000;

export async function githubHarness(options: { throttle?: boolean; maxBodyBytes?: number; triggerQueue?: boolean } = {}): Promise<GitHubHarness> {
  const core = await coreHarness();
  // As in production: deliveries answered once verified and claimed, handled by a job.
  const triggers = options.triggerQueue ? new GitHubTriggerQueue(core.redis, core.prefix.replace(/:$/, ''), { backoffMs: 20 }) : null;
  const fake = await FakeGitHub.start();
  fake.addRepo(repo, { installationId });
  fake.grant(repo, 'Codertocat', 'admin');
  const github = new GitHubFrontend({
    appId: String(fake.appId),
    privateKey: fake.privateKey,
    webhookSecret,
    apiUrl: fake.url,
    trigger: '@errand',
    agents: core.service,
    dedup: core.stores.dedup,
    settings: core.stores.settings,
    tracking: core.stores.githubTracking,
    claims: core.stores.leases,
    scrubber: new Scrubber(),
    log: silentLog,
    publicUrl: 'https://errand.example.com',
    ...(options.maxBodyBytes ? { maxBodyBytes: options.maxBodyBytes } : {}),
    // Tests change .github/errand.yml between deliveries.
    repoConfigTtlMs: 0,
    octokit: { throttle: options.throttle ?? false, retryAfterBaseValue: 5 },
    ...(triggers ? { triggers } : {}),
  });
  await github.startJobs();
  const http = await startHttpServer({ host: '127.0.0.1', port: 0, log: silentLog, mounts: [github.mount] });
  const dispatcher = new NotifyDispatcher({ ...core.stores, notifiers: [github.notifier], log: silentLog, intervalMs: 20, sweepMs: 60_000 });
  await dispatcher.start();

  const harness: GitHubHarness = {
    core, fake, github, http, dispatcher,
    async deliver(event, payload, opts = {}) {
      const deliveryId = opts.deliveryId ?? randomUUID();
      const raw = opts.raw ?? JSON.stringify(payload);
      const headers: Record<string, string> = { 'content-type': 'application/json', 'x-github-event': event, 'x-github-delivery': deliveryId, 'user-agent': 'GitHub-Hookshot/test' };
      if (opts.sha1Only) headers['x-hub-signature'] = `sha1=${createHmac('sha1', webhookSecret).update(raw).digest('hex')}`;
      else if (opts.signature !== null) headers['x-hub-signature-256'] = opts.signature ?? `sha256=${createHmac('sha256', webhookSecret).update(raw).digest('hex')}`;
      const response = await fetch(`${http.url}/api/github/webhooks`, { method: 'POST', headers, body: raw });
      await response.arrayBuffer();
      return { status: response.status, deliveryId };
    },
    issueComment(o) {
      const payload = aim(example('issue_comment', o.action ?? 'created', (p) => Boolean(p.installation) || true), { login: o.login ?? 'Codertocat', ...(o.userType ? { userType: o.userType } : {}) });
      const number = o.number ?? 1;
      const id = o.commentId ?? nextCommentId++;
      const issue = obj(payload.issue);
      issue.number = number;
      if (o.pullRequest) issue.pull_request = { url: `${fake.url}/repos/${repo}/pulls/${number}`, html_url: `${fake.url}/${repo}/pull/${number}` };
      else delete issue.pull_request;
      const comment = obj(payload.comment);
      comment.id = id;
      comment.body = o.body;
      comment.user = { ...obj(comment.user), login: o.login ?? 'Codertocat', type: o.userType ?? 'User' };
      if (o.action === 'edited') payload.changes = { body: { from: o.previousBody ?? 'before' } };
      fake.addComment({ id, kind: 'issue', repo, number, body: o.body, user: o.login ?? 'Codertocat', userType: o.userType ?? 'User', authorAssociation: String(comment.author_association ?? 'OWNER') });
      return payload;
    },
    reviewComment(o) {
      const payload = aim(example('pull_request_review_comment', o.action ?? 'created', (p) => Boolean(obj(p.comment).line)), { login: o.login ?? 'Codertocat', ...(o.userType ? { userType: o.userType } : {}) });
      const id = o.commentId ?? nextCommentId++;
      const pr = obj(payload.pull_request);
      const number = Number(pr.number);
      const comment = obj(payload.comment);
      comment.id = id;
      comment.body = o.body;
      comment.user = { ...obj(comment.user), login: o.login ?? 'Codertocat', type: o.userType ?? 'User' };
      if (o.inReplyTo) comment.in_reply_to_id = o.inReplyTo;
      fake.addComment({ id, kind: 'review', repo, number, body: o.body, user: o.login ?? 'Codertocat', inReplyTo: o.inReplyTo ?? null });
      return payload;
    },
    async agents() {
      const page = await core.service.list({ workspace: String(installationId), limit: 100 });
      return page.agents;
    },
    async close() {
      await triggers?.close();
      await dispatcher.close();
      await github.idle();
      await http.close();
      await fake.close();
      await core.close();
    },
  };
  return harness;
}

/** A fresh GitHub harness per test; the test fails if the fake GitHub got a request it has no route for. */
export function githubHarnessPerTest(options: Parameters<typeof githubHarness>[0] = {}): GitHubHarness {
  return perTest('GitHub', () => githubHarness(options), async (h) => {
    await h.close();
    h.fake.assertNoUnexpected();
  });
}
