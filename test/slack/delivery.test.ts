import type { Agent } from '../../src/core/index.js';
import { botUserId } from '../support/fake-slack.js';
import { signingSecret, slackHarness, type SlackHarness } from '../support/slack.js';
import { eventBody, postSigned, slackSignature, slashCommandBody } from '../support/slack-requests.js';
import { waitFor } from '../support/wait.js';

describe('Slack: request safety and delivery', () => {
  let h: SlackHarness;
  afterEach(async () => {
    expect(h.slack.unexpected).toEqual([]);
    await h.close();
  });

  const agents = async (): Promise<Agent[]> => (await h.core.service.list({ workspace: 'T1' })).agents;

  it('refuses forged, stale, future-dated and oversized requests, and starts nothing', async () => {
    h = await slackHarness();
    const body = slashCommandBody({ text: 'repo=acme/app fix it', responseUrl: h.slack.responseUrl('x') });
    const form = 'application/x-www-form-urlencoded';
    const now = Math.floor(Date.now() / 1000);
    const forged = await postSigned(h.eventsUrl, body, form, { secret: 'not-the-secret' });
    const stale = await postSigned(h.eventsUrl, body, form, { secret: signingSecret, timestamp: now - 10 * 60 });
    const future = await postSigned(h.eventsUrl, body, form, { secret: signingSecret, timestamp: now + 10 * 60 });
    const unsigned = await postSigned(h.eventsUrl, body, form, { secret: signingSecret, signature: '' });
    const huge = `${body}&pad=${'x'.repeat(600 * 1024)}`;
    const oversized = await postSigned(h.eventsUrl, huge, form, { secret: signingSecret, timestamp: now, signature: slackSignature(signingSecret, now, huge) });
    expect([forged.status, stale.status, future.status, unsigned.status]).toEqual([401, 401, 401, 401]);
    expect(oversized.status).toBe(413);
    const fine = await postSigned(h.eventsUrl, body, form, { secret: signingSecret });
    expect(fine.status).toBe(200);
    await waitFor(async () => (await agents()).length === 1, { what: 'the one signed request to start an agent' });
    expect(h.slack.okCalls('chat.postMessage')).toHaveLength(1);
  });

  it('starts one agent when Slack retries the same event', async () => {
    h = await slackHarness();
    const event = { type: 'app_mention', channel: 'C1', user: 'U1', text: `<@${botUserId}> repo=acme/app fix it`, ts: h.slack.nextTs(), team: 'T1' };
    const body = eventBody(event, { eventId: 'Ev0RETRY1' });
    const first = await postSigned(h.eventsUrl, body, 'application/json', { secret: signingSecret });
    const retry = await postSigned(h.eventsUrl, body, 'application/json', { secret: signingSecret, retryNum: 1 });
    const again = await postSigned(h.eventsUrl, body, 'application/json', { secret: signingSecret, retryNum: 2 });
    expect([first.status, retry.status, again.status]).toEqual([200, 200, 200]);
    await waitFor(async () => (await agents()).length === 1, { what: 'the agent' });
    // A later, different event is handled: the dedup is per event id, not a blanket block.
    await h.event({ ...event, ts: h.slack.nextTs(), text: `<@${botUserId}> repo=acme/app and another` });
    await waitFor(async () => (await agents()).length === 2, { what: 'the second agent' });
    expect(h.slack.okCalls('chat.postMessage').filter((c) => JSON.stringify(c.args.blocks).includes('fix it'))).toHaveLength(1);
  });

  it('honours Retry-After and still lands the final state through a storm of 429s', async () => {
    h = await slackHarness({ retries: 2 });
    await h.command('repo=acme/app fix it');
    const [agent] = await waitFor(async () => ((await agents()).length === 1 ? agents() : undefined), { what: 'the agent' });
    const root = h.slack.messages[0]!.ts;
    await waitFor(() => h.slack.okCalls('reactions.add').length === 1, { what: 'the first render' });

    // One 429 asking for a second's pause: the client waits it out before calling again.
    h.slack.rateLimit('chat.update', 1, 1);
    await h.core.service.transition(agent!.id, 'preparing');
    await waitFor(() => h.slack.okCalls('chat.update').some((c) => JSON.stringify(c.args.blocks).includes('Preparing')), { what: 'the preparing status' });
    const updates = h.slack.calls.filter((c) => c.method === 'chat.update');
    const limited = updates.findIndex((c) => c.rateLimited);
    expect(limited).toBeGreaterThanOrEqual(0);
    expect(updates[limited + 1]?.rateLimited).toBe(false);

    // A storm longer than the client's retries: the dispatcher offers the events again until it passes.
    h.slack.rateLimit('*', 12, 0);
    await h.core.service.transition(agent!.id, 'running');
    await h.core.stores.events.append(agent!.id, { type: 'summary', text: 'All done.', branch: agent!.branch, prUrl: null, diffstat: null });
    await h.core.service.transition(agent!.id, 'finished');
    await waitFor(() => h.slack.messages.find((m) => m.ts === root && JSON.stringify(m.blocks).includes('Finished')), { what: 'the final status' });
    await waitFor(() => h.slack.okCalls('reactions.add').some((c) => c.args.name === 'white_check_mark'), { what: 'the final reaction' });
    await waitFor(() => h.slack.messages.some((m) => m.threadTs === root && m.text.includes('All done.')), { what: 'the summary' });
    expect(h.slack.calls.filter((c) => c.rateLimited).length).toBeGreaterThanOrEqual(13);
    expect(h.slack.messages.filter((m) => m.threadTs === root && m.text.includes('All done.'))).toHaveLength(1);
  });

  it('does not post a reply twice when the outcome of the first post is unknown', async () => {
    h = await slackHarness();
    await h.command('repo=acme/app fix it');
    const [agent] = await waitFor(async () => ((await agents()).length === 1 ? agents() : undefined), { what: 'the agent' });
    const root = h.slack.messages[0]!.ts;
    await waitFor(() => h.slack.okCalls('reactions.add').length === 1, { what: 'the first render' });
    // Slack posts the milestone, but the connection breaks before its answer arrives.
    h.slack.dropAnswer('chat.postMessage', 1);
    await h.core.stores.events.append(agent!.id, { type: 'milestone', name: 'environment_ready', text: 'ready', data: { cached: false } });
    await waitFor(() => h.slack.okCalls('conversations.replies').length > 0, { what: 'a look into the thread before posting again' });
    await h.core.service.transition(agent!.id, 'preparing');
    await h.core.service.transition(agent!.id, 'running');
    await h.core.service.transition(agent!.id, 'failed', { patch: { error: { code: 'model_failed', message: 'the model said no' } } });
    await waitFor(() => h.slack.okCalls('reactions.add').some((c) => c.args.name === 'x'), { what: 'the ❌ reaction after the failure' });
    expect(h.slack.messages.filter((m) => m.threadTs === root && m.text.includes('Environment ready'))).toHaveLength(1);
  });

  it('opens the settings modal and saves the channel repo, and workspace defaults only for admins', async () => {
    h = await slackHarness();
    await h.command('settings');
    const opened = await waitFor(() => h.slack.okCalls('views.open')[0], { what: 'the modal' });
    expect(JSON.stringify(opened.args.view)).not.toContain('default_model');
    const submit = (user: string, values: Record<string, string>) =>
      h.interaction({
        type: 'view_submission',
        team: { id: 'T1', domain: 'acme' },
        user: { id: user, username: user, team_id: 'T1' },
        api_app_id: 'A1',
        token: 'x',
        trigger_id: 't2',
        view: {
          id: 'V1', team_id: 'T1', type: 'modal', callback_id: 'errand_settings', private_metadata: JSON.stringify({ channelId: 'C1' }),
          state: { values: Object.fromEntries(Object.entries(values).map(([block, value]) => [block, { value: { type: 'plain_text_input', value } }])) },
          hash: 'h', title: { type: 'plain_text', text: 'Errand settings' }, blocks: [],
        },
      });
    const bad = await submit('U1', { channel_repo: 'not a repo' });
    expect(bad.json()).toMatchObject({ response_action: 'errors', errors: { channel_repo: expect.stringContaining('not a repository') } });
    await submit('U1', { channel_repo: 'acme/web', default_model: 'openai:sneaky', default_repo: '', base_branch: '' });
    await waitFor(async () => (await h.core.stores.settings.get('T1')).channelRepos.C1 === 'acme/web', { what: 'the channel repo' });
    expect((await h.core.stores.settings.get('T1')).defaultModel).toBe('');

    await h.command('settings', { userId: 'UADMIN' });
    const adminView = await waitFor(() => h.slack.okCalls('views.open')[1], { what: "the admin's modal" });
    expect(JSON.stringify(adminView.args.view)).toContain('default_model');
    await submit('UADMIN', { channel_repo: 'acme/web', default_model: 'anthropic:claude', default_repo: 'acme/app', base_branch: 'develop' });
    await waitFor(async () => (await h.core.stores.settings.get('T1')).defaultModel === 'anthropic:claude', { what: 'the workspace defaults' });
    expect(await h.core.stores.settings.get('T1')).toMatchObject({ defaultRepo: 'acme/app', baseBranch: 'develop' });
  });
});
