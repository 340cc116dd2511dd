import type { Agent } from '../../src/core/index.js';
import { botUserId } from '../support/fake-slack.js';
import { slackHarnessPerTest } from '../support/slack.js';
import { waitFor } from '../support/wait.js';

describe('Slack: /agent', () => {
  const h = slackHarnessPerTest();

  const agents = async (): Promise<Agent[]> => (await h.core.service.list({ workspace: 'T1' })).agents;
  const rootPosts = () => h.slack.okCalls('chat.postMessage').filter((c) => c.args.thread_ts === undefined);
  const threadReplies = (ts: string) => h.slack.okCalls('chat.postMessage').filter((c) => c.args.thread_ts === ts);
  const lastUpdate = (ts: string) => h.slack.okCalls('chat.update').filter((c) => c.args.ts === ts).at(-1);

  it('acknowledges in the same request, posts one root message, edits it through every status and ends with the summary in the thread', async () => {
    const response = await h.command('repo=acme/app fix the flaky login test');
    expect(response.status).toBe(200);
    const [agent] = await waitFor(async () => ((await agents()).length === 1 ? agents() : undefined), { what: 'the agent' });
    const conversation = agent!.conversations[0]!;
    if (conversation.kind !== 'slack') throw new Error('expected a Slack conversation');
    expect(rootPosts()).toHaveLength(1);
    // users.info (users:read.email) gives the requester's e-mail for the Co-authored-by trailer.
    expect(agent!.owner).toMatchObject({ id: 'U1', name: 'Ada Lovelace', email: 'ada@example.com' });
    expect(rootPosts()[0]!.args.channel).toBe('C1');
    expect(conversation.threadTs).toBe(h.slack.messages[0]!.ts);
    const root = conversation.threadTs;
    expect(JSON.stringify(rootPosts()[0]!.args.blocks)).toContain('acme/app');
    expect(JSON.stringify(rootPosts()[0]!.args.blocks)).toContain(`https://errand.example.com/agents/${agent!.id}`);

    await waitFor(() => h.slack.okCalls('reactions.add').some((c) => c.args.name === 'hourglass_flowing_sand'), { what: 'the ⏳ reaction' });
    await h.core.service.transition(agent!.id, 'preparing');
    await h.core.stores.events.append(agent!.id, { type: 'milestone', name: 'environment_ready', text: 'environment ready', data: { cached: true } });
    await h.core.service.transition(agent!.id, 'running');
    await waitFor(() => JSON.stringify(lastUpdate(root)?.args.blocks ?? '').includes('Working'), { what: 'the running status' });
    await h.core.stores.events.append(agent!.id, { type: 'milestone', name: 'pr_opened', text: 'opened PR #7', data: { url: 'https://github.com/acme/app/pull/7' } });
    await h.core.stores.events.append(agent!.id, { type: 'summary', text: 'Fixed the race in `login.ts`.', branch: agent!.branch, prUrl: 'https://github.com/acme/app/pull/7', diffstat: 'src/login.ts | 4 ++--' });
    await h.core.service.transition(agent!.id, 'finished', { patch: { prUrl: 'https://github.com/acme/app/pull/7', prNumber: 7 } });

    await waitFor(() => JSON.stringify(lastUpdate(root)?.args.blocks ?? '').includes('Finished'), { what: 'the finished status' });
    await waitFor(() => h.slack.okCalls('reactions.add').some((c) => c.args.name === 'white_check_mark'), { what: 'the ✅ reaction' });
    const final = JSON.stringify(lastUpdate(root)!.args.blocks);
    expect(final).toContain('View PR');
    expect(final).not.toContain('"Stop"');
    expect(h.slack.okCalls('reactions.remove').map((c) => c.args.name)).toContain('hourglass_flowing_sand');
    const replies = await waitFor(() => (threadReplies(root).length === 3 ? threadReplies(root) : undefined), { what: 'three thread replies' });
    const texts = replies.map((r) => JSON.stringify(r.args.blocks));
    expect(texts[0]).toContain('Environment ready (from the cache)');
    expect(texts[1]).toContain('https://github.com/acme/app/pull/7');
    expect(texts[2]).toContain('Fixed the race in `login.ts`.');
    expect(rootPosts()).toHaveLength(1);
  });

  it('answers mistakes with an ephemeral fix and starts nothing', async () => {
    const unknown = await h.answer('repository=acme/app fix it');
    expect(unknown).toMatchObject({ response_type: 'ephemeral', text: expect.stringContaining('unknown option `repository`') });
    const empty = await h.answer('repo=acme/app');
    expect(empty).toMatchObject({ response_type: 'ephemeral', text: expect.stringContaining('tell the agent what to do') });
    const noRepo = await h.answer('fix it');
    expect(noRepo).toMatchObject({ response_type: 'ephemeral', text: expect.stringContaining('repo=owner/name') });
    for (const local of ['/srv/app', 'file:///srv/app']) {
      const refusedLocal = await h.answer(`repo=${local} read the server's files`);
      expect(refusedLocal).toMatchObject({ response_type: 'ephemeral', text: expect.stringContaining('local repositories') });
    }
    const withToken = await h.answer('repo=https://ghp_tokenInUrl0123456789abcdefghijklmnop@github.com/acme/app fix it');
    expect(withToken).toMatchObject({ response_type: 'ephemeral', text: expect.stringContaining('must not carry credentials') });
    expect(JSON.stringify(withToken)).not.toContain('ghp_tokenInUrl');
    for (const typo of ['stop ag_typo', 'stop ag_7k2m9x4p1q3r.']) {
      await h.command(typo);
      const stop = await waitFor(() => h.slack.responses.find((r) => String(r.body['text']).includes('no agent ag_')), { what: `the answer to ${typo}` });
      expect(stop.body).toMatchObject({ response_type: 'ephemeral' });
      h.slack.responses.length = 0;
    }
    await h.core.stores.settings.set('T1', { ...(await h.core.stores.settings.get('T1')), allowlist: ['U9'] });
    const refused = await h.answer('repo=acme/app fix it');
    expect(refused).toMatchObject({ response_type: 'ephemeral', text: expect.stringContaining('Not allowed') });
    expect(await agents()).toEqual([]);
    expect(h.slack.okCalls('chat.postMessage')).toEqual([]);
  });

  it('uses the channel default repo and shows help, list and a stop from the button', async () => {
    await h.core.stores.settings.set('T1', { ...(await h.core.stores.settings.get('T1')), channelRepos: { C1: 'acme/web' } });
    expect((await h.command('help')).json()).toMatchObject({ response_type: 'ephemeral', text: expect.stringContaining('/agent list') });
    await h.command('tidy the readme');
    const [agent] = await waitFor(async () => ((await agents()).length === 1 ? agents() : undefined), { what: 'the agent' });
    expect(agent!.repo?.fullName).toBe('acme/web');
    const list = (await h.command('list')).json() as { blocks: unknown };
    expect(JSON.stringify(list.blocks)).toContain(agent!.id);

    const root = h.slack.messages[0]!;
    await h.interaction({
      type: 'block_actions',
      team: { id: 'T1', domain: 'acme' },
      user: { id: 'U1', username: 'ada', team_id: 'T1' },
      api_app_id: 'A1',
      token: 'x',
      trigger_id: 't1',
      channel: { id: 'C1', name: 'dev' },
      container: { type: 'message', message_ts: root.ts, channel_id: 'C1' },
      message: { ts: root.ts, type: 'message', text: root.text },
      response_url: h.slack.responseUrl('btn'),
      actions: [{ type: 'button', action_id: 'errand_stop', block_id: `errand_agent_${agent!.id}`, value: agent!.id, action_ts: '1' }],
    });
    await waitFor(async () => (await h.core.service.get(agent!.id))?.status === 'stopped', { what: 'the stop' });
    await waitFor(() => h.slack.okCalls('chat.postEphemeral').some((c) => String(c.args.text).includes('Stopped')), { what: 'the stop confirmation' });
    await waitFor(() => h.slack.okCalls('reactions.add').some((c) => c.args.name === 'x'), { what: 'the ❌ reaction' });
  });

  it('escapes <!channel>, <!here> and <@U…> in the fallback text of the status and summary messages, so they cannot ping', async () => {
    await h.command('repo=acme/app <!channel> <!here> ask <@U2> & fix it');
    const [agent] = await waitFor(async () => ((await agents()).length === 1 ? agents() : undefined), { what: 'the agent' });
    const root = agent!.conversations[0]!;
    if (root.kind !== 'slack') throw new Error('expected a Slack conversation');
    await h.core.stores.events.append(agent!.id, { type: 'summary', text: 'Done. <!everyone> <@U2> <https://evil.example|click> & more', branch: agent!.branch, prUrl: null, diffstat: null });
    await h.core.service.transition(agent!.id, 'stopped');
    await waitFor(() => threadReplies(root.threadTs).some((c) => String(c.args.text).startsWith('Summary')), { what: 'the summary reply' });
    await waitFor(() => h.slack.okCalls('chat.update').some((c) => c.args.ts === root.threadTs), { what: 'a status update' });

    const texts = [...rootPosts(), ...threadReplies(root.threadTs), ...h.slack.okCalls('chat.update')].map((c) => String(c.args.text));
    for (const text of texts) expect(text).not.toMatch(/<[!@#]|<https?:/);
    expect(rootPosts()[0]!.args.text).toContain('&lt;!channel&gt; &lt;!here&gt; ask &lt;@U2&gt; &amp; fix it');
    const summary = threadReplies(root.threadTs).find((c) => String(c.args.text).startsWith('Summary'))!;
    expect(summary.args.text).toContain('&lt;!everyone&gt; &lt;@U2&gt; &lt;https://evil.example|click&gt; &amp; more');
  });

  it('lets Slack workspace admins launch when an allowlist leaves them out, from /agent and from a mention', async () => {
    await h.core.stores.settings.set('T1', { ...(await h.core.stores.settings.get('T1')), allowlist: ['U9'] });
    const refused = await h.answer('repo=acme/app fix it', { userId: 'U1' });
    expect(refused).toMatchObject({ response_type: 'ephemeral', text: expect.stringContaining('Not allowed') });
    await h.command('repo=acme/app fix it as the admin', { userId: 'UADMIN' });
    await waitFor(async () => ((await agents()).length === 1 ? agents() : undefined), { what: "the admin's agent" });
    await h.event({ type: 'app_mention', channel: 'C1', user: 'UADMIN', text: `<@${botUserId}> repo=acme/app and again`, ts: h.slack.nextTs(), team: 'T1' });
    const both = await waitFor(async () => ((await agents()).length === 2 ? agents() : undefined), { what: "the admin's second agent" });
    expect(both.every((a) => a.owner.id === 'UADMIN')).toBe(true);
  });
});

describe('Slack: /agent when Slack fails the root message once', () => {
  const h = slackHarnessPerTest();

  const agents = async (): Promise<Agent[]> => (await h.core.service.list({ workspace: 'T1' })).agents;
  const roots = () => h.slack.messages.filter((m) => m.channel === 'C1' && !m.threadTs);

  it('posts it again after a 500 that posted nothing, and starts the agent in that thread', async () => {
    h.slack.httpError('chat.postMessage', 1, 500);
    expect((await h.command('repo=acme/app fix the flaky login test')).status).toBe(200);
    const [agent] = await waitFor(async () => ((await agents()).length === 1 ? agents() : undefined), { what: 'the agent' });
    expect(roots()).toHaveLength(1);
    expect(agent!.conversations[0]).toMatchObject({ kind: 'slack', threadTs: roots()[0]!.ts });
    expect(h.slack.calls.filter((c) => c.method === 'chat.postMessage' && c.args.thread_ts === undefined)).toHaveLength(2);
  });

  it('finds the message a 500 hid instead of posting it twice', async () => {
    h.slack.httpError('chat.postMessage', 1, 500, { carriedOut: true });
    expect((await h.command('repo=acme/app fix the flaky login test')).status).toBe(200);
    const [agent] = await waitFor(async () => ((await agents()).length === 1 ? agents() : undefined), { what: 'the agent' });
    expect(roots()).toHaveLength(1);
    expect(agent!.conversations[0]).toMatchObject({ kind: 'slack', threadTs: roots()[0]!.ts });
    expect(h.slack.okCalls('conversations.history')).toHaveLength(1);
    expect(h.slack.calls.filter((c) => c.method === 'chat.postMessage' && c.args.thread_ts === undefined)).toHaveLength(1);
  });
});
