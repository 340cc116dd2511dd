import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import pino from 'pino';
import { loadConfig } from '../../src/config.js';
import { startErrand, type Errand } from '../../src/main.js';
import { githubTriggerQueueName } from '../../src/queue/github-trigger-queue.js';
import { slackTriggerQueueName } from '../../src/queue/slack-trigger-queue.js';
import { Scrubber } from '../../src/redact/scrubber.js';
import { FakeGitHub } from '../support/fake-github.js';
import { FakeSlack } from '../support/fake-slack.js';
import { deleteKeys, testRedisUrl, uniqueInstance } from '../support/redis.js';
import { postSigned, slashCommandBody } from '../support/slack-requests.js';
import { waitFor } from '../support/wait.js';

const secret = 'wired-secret';

describe('Slack and GitHub in a running Errand, by role', () => {
  const started: Errand[] = [];
  let slack: FakeSlack;
  let github: FakeGitHub;
  let instance: string;
  // The worker role is given an engine that is not there: the test is about trigger jobs, not agents' runs.
  const dir = mkdtempSync(join(tmpdir(), 'errand-roles-'));
  beforeEach(async () => {
    instance = uniqueInstance('slackwire');
    slack = await new FakeSlack().start();
    slack.addChannel('C1');
    github = await FakeGitHub.start();
  });
  afterEach(async () => {
    if (started[0]) await deleteKeys(started[0].redis, `${instance}:`);
    for (const errand of started.splice(0).reverse()) await errand.stop();
    await slack.stop();
    await github.close();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const start = async (role: 'all' | 'web' | 'worker'): Promise<Errand> => {
    const config = loadConfig({
      REDIS_URL: testRedisUrl(), ERRAND_ROLE: role, PORT: '0', ERRAND_HEALTH_PORT: '0', ERRAND_MODEL: 'openai:m', OPENAI_BASE_URL: 'http://127.0.0.1:9/v1',
      DOCKER_HOST: `unix://${join(dir, 'no-docker.sock')}`,
      SLACK_BOT_TOKEN: slack.token, SLACK_SIGNING_SECRET: secret, SLACK_API_URL: slack.apiUrl, ERRAND_PUBLIC_URL: 'https://errand.example.com',
      GITHUB_APP_ID: String(github.appId), GITHUB_PRIVATE_KEY: github.privateKey, GITHUB_WEBHOOK_SECRET: 'wired-github-secret', GITHUB_API_URL: github.url,
    });
    const errand = await startErrand(config, { log: pino({ level: 'silent' }), scrubber: new Scrubber(), instance });
    started.push(errand);
    return errand;
  };
  /** How many processes run each trigger queue's jobs (BullMQ's list of connected workers). */
  const jobRunners = async (errand: Errand): Promise<{ slack: number; github: number }> => {
    const counts = { slack: 0, github: 0 };
    for (const [platform, name] of [['slack', slackTriggerQueueName], ['github', githubTriggerQueueName]] as const) {
      const queue = new Queue(name, { connection: errand.redis, prefix: errand.stores.keys.queuePrefix() });
      counts[platform] = (await queue.getWorkers()).length;
      await queue.close();
    }
    return counts;
  };
  const command = (errand: Errand, text: string, id: string) =>
    postSigned(`${errand.http!.url}/slack/events`, slashCommandBody({ text, responseUrl: slack.responseUrl(id) }), 'application/x-www-form-urlencoded', { secret });

  it('the web role answers and queues; a worker process launches, and tells refusals through response_url', async () => {
    const web = await start('web');
    const challenge = await postSigned(`${web.http!.url}/slack/events`, JSON.stringify({ type: 'url_verification', challenge: 'abc123', token: 'x' }), 'application/json', { secret });
    expect(challenge.json()).toEqual({ challenge: 'abc123' });
    expect(await jobRunners(web)).toEqual({ slack: 0, github: 0 });

    const accepted = await command(web, 'repo=https://git.example.com/acme/app.git fix it', '1');
    expect({ status: accepted.status, body: accepted.body }).toEqual({ status: 200, body: '' });
    const waiting = new Queue(slackTriggerQueueName, { connection: web.redis, prefix: web.stores.keys.queuePrefix() });
    try {
      expect(await waiting.getJobCounts('waiting', 'active')).toEqual({ waiting: 1, active: 0 });
    } finally {
      await waiting.close();
    }
    expect(slack.calls.filter((c) => c.method !== 'auth.test')).toEqual([]);
    expect((await web.agents.list({ workspace: 'T1' })).agents).toEqual([]);

    const worker = await start('worker');
    expect(worker.http).toBeNull();
    expect(await jobRunners(web)).toEqual({ slack: 1, github: 1 });
    const [agent] = await waitFor(async () => {
      const { agents } = await web.agents.list({ workspace: 'T1' });
      return agents.length === 1 && agents;
    }, { what: 'the agent launched by the worker' });
    expect(agent).toMatchObject({ owner: { id: 'U1' }, conversations: [{ kind: 'slack', channelId: 'C1' }] });
    expect(slack.okCalls('chat.postMessage').filter((c) => c.args.thread_ts === undefined)).toHaveLength(1);
    // The web role's dispatcher renders what the worker launched into that root message.
    await waitFor(() => slack.okCalls('chat.update').length > 0, { what: 'the first render' });
    expect(slack.okCalls('chat.update')[0]?.args.ts).toBe(slack.messages[0]!.ts);

    // A refusal is decided in the worker's job and still reaches the person.
    await web.stores.settings.set('T1', { ...(await web.stores.settings.get('T1')), allowlist: ['U9'] });
    expect((await command(web, 'repo=https://git.example.com/acme/app.git and again', '2')).status).toBe(200);
    const refusal = await waitFor(() => slack.responses.find((r) => r.path === '/respond/2'), { what: 'the refusal through response_url' });
    expect(refusal.body).toMatchObject({ response_type: 'ephemeral', text: expect.stringContaining('Not allowed') });
    expect((await web.agents.list({ workspace: 'T1' })).agents).toHaveLength(1);
    expect(slack.unexpected).toEqual([]);
  });

  it('the all role answers and runs the jobs in one process', async () => {
    const all = await start('all');
    expect(await jobRunners(all)).toEqual({ slack: 1, github: 1 });
    expect((await command(all, 'repo=https://git.example.com/acme/app.git fix it', '1')).status).toBe(200);
    await waitFor(async () => (await all.agents.list({ workspace: 'T1' })).agents.length === 1, { what: 'the agent' });
    expect(slack.unexpected).toEqual([]);
  });
});
