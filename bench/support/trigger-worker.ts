/**
 * The worker side of the ack benchmarks, in a process of its own as Errand's worker role runs it:
 * the trigger jobs (`startJobs` of the real Slack or GitHub front end on the benchmark's Redis) and
 * the fake Slack or GitHub API they call, which stands for the remote platform. Started by
 * `startTriggerWorker` (worker-process.ts) with `fork`; it speaks over the IPC channel only.
 *
 *   argv[2]: slack | github; BENCH_REDIS_URL: the benchmark's redis-server.
 */
import { pino } from 'pino';
import { AgentService, SettingsService, systemClock } from '../../src/core/index.js';
import { GitHubFrontend } from '../../src/frontends/github/frontend.js';
import { createSlackFrontend } from '../../src/frontends/slack/slack-frontend.js';
import { GitHubTriggerQueue } from '../../src/queue/github-trigger-queue.js';
import { BullRunQueue } from '../../src/queue/run-queue.js';
import { SlackTriggerQueue } from '../../src/queue/slack-trigger-queue.js';
import { Scrubber } from '../../src/redact/scrubber.js';
import { connectRedis } from '../../src/redis/connect.js';
import { createRedisStores } from '../../src/store/redis/index.js';
import { FakeGitHub } from '../../test/support/fake-github.js';
import { FakeSlack } from '../../test/support/fake-slack.js';
import { benchGitHub, benchSlack, type ToWorker } from './worker-messages.js';

const platform = process.argv[2];
const log = pino({ level: 'silent' });
const redis = await connectRedis(process.env['BENCH_REDIS_URL']!);
const stores = createRedisStores(redis, { prefix: 'bench:', clock: systemClock, retentionDays: 1 });
const queue = new BullRunQueue(redis, 'runs', 'bench');
const agents = new AgentService({ ...stores, queue, clock: systemClock, log, defaultModel: 'openai:bench' });
const reply = (message: Record<string, unknown>) => process.send!(message);

let jobsOn: () => Promise<void>;
let jobsOff: () => Promise<void>;
let addComments: (comments: { id: number; number: number; body: string }[]) => void = () => undefined;
let calls: () => number;
let close: () => Promise<void>;

if (platform === 'slack') {
  const slack = await new FakeSlack().start();
  slack.addChannel('C1');
  slack.addUser({ id: 'U1', name: 'ada' });
  const triggers = new SlackTriggerQueue(redis, 'bench');
  const frontend = await createSlackFrontend({
    botToken: slack.token, signingSecret: benchSlack.secret, apiUrl: slack.apiUrl, agents, settings: stores.settings,
    settingsAdmin: new SettingsService({ settings: stores.settings, audit: stores.audit, log }), dedup: stores.dedup, state: stores.slack, triggers, log,
  });
  jobsOn = () => frontend.startJobs();
  jobsOff = () => triggers.stopWorker();
  calls = () => slack.calls.length;
  close = async () => {
    await frontend.stop();
    await triggers.close();
    await slack.stop();
  };
  await jobsOn();
  reply({ type: 'ready', slack: { apiUrl: slack.apiUrl, token: slack.token, respondBase: slack.responseUrl('') } });
} else if (platform === 'github') {
  const fake = await FakeGitHub.start();
  fake.addRepo(benchGitHub.repo, { installationId: benchGitHub.installationId });
  fake.grant(benchGitHub.repo, 'Codertocat', 'admin');
  let triggers: GitHubTriggerQueue | null = null;
  let github: GitHubFrontend | null = null;
  jobsOn = async () => {
    triggers = new GitHubTriggerQueue(redis, 'bench');
    github = new GitHubFrontend({
      appId: String(fake.appId), privateKey: fake.privateKey, webhookSecret: benchGitHub.secret, apiUrl: fake.url, trigger: '@errand',
      agents, dedup: stores.dedup, settings: stores.settings, tracking: stores.githubTracking, claims: stores.leases,
      scrubber: new Scrubber(), log, octokit: { throttle: false }, triggers,
    });
    await github.startJobs();
  };
  jobsOff = async () => {
    await triggers?.close();
    await github?.idle();
    triggers = null;
    github = null;
  };
  addComments = (comments) => {
    for (const c of comments) fake.addComment({ id: c.id, kind: 'issue', repo: benchGitHub.repo, number: c.number, body: c.body, user: 'Codertocat' });
  };
  calls = () => fake.calls.length;
  close = async () => {
    await jobsOff();
    await fake.close();
  };
  await jobsOn();
  reply({ type: 'ready', github: { url: fake.url, appId: String(fake.appId), privateKey: fake.privateKey } });
} else {
  throw new Error(`unknown platform ${platform}`);
}

process.on('message', (message: ToWorker) => {
  const run = async (): Promise<Record<string, unknown>> => {
    switch (message.type) {
      case 'jobs':
        await (message.on ? jobsOn() : jobsOff());
        return {};
      case 'comments':
        addComments(message.comments);
        return {};
      case 'calls':
        return { calls: calls() };
      case 'close':
        await close();
        await queue.close();
        await redis.quit();
        return {};
    }
  };
  void run().then(
    (result) => {
      reply({ type: 'done', seq: message.seq, ...result });
      if (message.type === 'close') process.disconnect();
    },
    (error: unknown) => reply({ type: 'done', seq: message.seq, error: String(error) }),
  );
});
