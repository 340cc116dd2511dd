import { SettingsService, type Agent } from '../../src/core/index.js';
import { createSlackFrontend } from '../../src/frontends/slack/slack-frontend.js';
import { SlackTriggerQueue } from '../../src/queue/slack-trigger-queue.js';
import { silentLog } from '../support/core.js';
import { botUserId } from '../support/fake-slack.js';
import { signingSecret, slackHarnessPerTest } from '../support/slack.js';
import { postSigned, slashCommandBody } from '../support/slack-requests.js';
import { waitFor } from '../support/wait.js';

describe('Slack: answered once queued, launched by a job', () => {
  const h = slackHarnessPerTest();

  const agents = async (): Promise<Agent[]> => (await h.core.service.list({ workspace: 'T1' })).agents;
  const rootPosts = () => h.slack.okCalls('chat.postMessage').filter((c) => c.args.thread_ts === undefined);

  it('answers /agent with an empty body before asking Slack anything, and another process launches it after this one died', async () => {
    // This process stops taking jobs: as if it were killed right after answering.
    await h.triggers.stopWorker();
    const answer = await h.command('repo=acme/app fix the flaky login test');
    expect({ status: answer.status, body: answer.body }).toEqual({ status: 200, body: '' });
    expect(h.slack.calls.filter((c) => c.method !== 'auth.test')).toEqual([]);
    expect(await agents()).toEqual([]);
    expect(await h.triggers.counts()).toMatchObject({ waiting: 1, active: 0 });

    // Another process on the same Redis (a worker) picks the job up.
    const queue = new SlackTriggerQueue(h.core.redis, h.core.prefix.replace(/:$/, ''), { backoffMs: 20 });
    const other = await createSlackFrontend({
      botToken: h.slack.token, signingSecret, apiUrl: h.slack.apiUrl, publicUrl: 'https://errand.example.com', agents: h.core.service, settings: h.core.stores.settings,
      settingsAdmin: new SettingsService({ settings: h.core.stores.settings, audit: h.core.stores.audit, log: silentLog }), dedup: h.core.stores.dedup, state: h.core.stores.slack,
      triggers: queue, log: silentLog,
    });
    try {
      await other.startJobs();
      const [agent] = await waitFor(async () => ((await agents()).length === 1 ? agents() : undefined), { what: 'the agent launched by the other process' });
      expect(agent).toMatchObject({ status: 'queued', owner: { id: 'U1', name: 'Ada Lovelace' }, conversations: [{ kind: 'slack', channelId: 'C1' }] });
      expect(rootPosts()).toHaveLength(1);
    } finally {
      await other.stop();
      await queue.close();
    }
  });

  it('launches once when the same command (trigger id) arrives twice, even after its job has run', async () => {
    const first = await h.command('repo=acme/app fix it', { triggerId: 'trigger-same' });
    const again = await h.command('repo=acme/app fix it', { triggerId: 'trigger-same' });
    expect([first.status, again.status]).toEqual([200, 200]);
    await waitFor(async () => (await agents()).length === 1, { what: 'the agent' });
    await waitFor(async () => JSON.stringify(await h.triggers.counts()) === JSON.stringify({ waiting: 0, active: 0, delayed: 0 }), { what: 'the jobs to finish' });
    expect((await h.command('repo=acme/app fix it', { triggerId: 'trigger-same' })).status).toBe(200);
    // A different command is launched: the marker is the trigger id, not a blanket block.
    await h.command('repo=acme/app fix it', { triggerId: 'trigger-other' });
    await waitFor(async () => (await agents()).length === 2, { what: 'the second agent' });
    expect(rootPosts()).toHaveLength(2);
  });

  it('retries the job when Slack fails the root message past its own tries, and launches one agent in one thread', async () => {
    // The root post tries three times within the job; the fourth try is the job's retry.
    h.slack.httpError('chat.postMessage', 3, 500);
    const answer = await h.command('repo=acme/app fix the flaky login test');
    expect({ status: answer.status, body: answer.body }).toEqual({ status: 200, body: '' });
    const [agent] = await waitFor(async () => ((await agents()).length === 1 ? agents() : undefined), { what: 'the agent after a retry' });
    const roots = h.slack.messages.filter((m) => m.channel === 'C1' && !m.threadTs);
    expect(roots).toHaveLength(1);
    expect(agent!.conversations[0]).toMatchObject({ kind: 'slack', threadTs: roots[0]!.ts });
    // Four tries, all for the same agent: the retried job did not start a second one.
    const tries = rootPosts();
    expect(tries).toHaveLength(4);
    expect(new Set(tries.map((c) => JSON.stringify(c.args.metadata)))).toEqual(new Set([JSON.stringify({ event_type: 'errand_message', event_payload: { key: `${agent!.id}|root` } })]));
    expect(h.slack.responses).toEqual([]);
  });

  it('tells the person on the last try when the launch keeps failing, and starts nothing', async () => {
    // Five runs of the job, three tries of the root message in each: every one answered 503.
    h.slack.httpError('chat.postMessage', 15, 503);
    const answer = await h.command('repo=acme/app fix it');
    expect(answer.status).toBe(200);
    const told = await waitFor(() => h.slack.responses[0], { what: 'the answer through response_url', timeoutMs: 30_000 });
    expect(told.body).toMatchObject({ response_type: 'ephemeral', text: expect.stringContaining('Something went wrong') });
    expect(await agents()).toEqual([]);
    expect(h.slack.messages).toEqual([]);
    expect(h.slack.responses).toHaveLength(1);
  });

  it('answers a mention at once and explains a refusal to its author alone', async () => {
    await h.core.stores.settings.set('T1', { ...(await h.core.stores.settings.get('T1')), allowlist: ['U9'] });
    const mention = await h.event({ type: 'app_mention', channel: 'C1', user: 'U1', text: `<@${botUserId}> repo=acme/app fix it`, ts: h.slack.nextTs(), team: 'T1' });
    expect({ status: mention.status, body: mention.body }).toEqual({ status: 200, body: '' });
    const refusal = await waitFor(() => h.slack.okCalls('chat.postEphemeral')[0], { what: 'the refusal' });
    expect(refusal.args).toMatchObject({ channel: 'C1', user: 'U1', text: expect.stringContaining('Not allowed') });
    expect(await agents()).toEqual([]);
    expect(h.slack.okCalls('chat.postMessage')).toEqual([]);
  });

  it('keeps tokens out of the job: ids, the text and the per-command response_url only', async () => {
    await h.triggers.stopWorker();
    const body = slashCommandBody({ text: 'repo=acme/app fix it', responseUrl: h.slack.responseUrl('secret-path') });
    expect((await postSigned(h.eventsUrl, body, 'application/x-www-form-urlencoded', { secret: signingSecret })).status).toBe(200);
    const [job] = await h.triggers.waitingJobs();
    expect(Object.keys(job!).sort()).toEqual(['channelId', 'kind', 'responseUrl', 'teamId', 'text', 'triggerId', 'userId', 'userName']);
    expect(JSON.stringify(job)).not.toContain('deprecated-verification-token');
    expect(JSON.stringify(job)).not.toContain(h.slack.token);
  });
});
