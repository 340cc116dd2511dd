import type { Agent } from '../../src/core/index.js';
import { botId, botUserId } from '../support/fake-slack.js';
import { slackHarnessPerTest } from '../support/slack.js';
import { waitFor } from '../support/wait.js';

describe('Slack: threads, mentions and follow-ups', () => {
  const h = slackHarnessPerTest();

  const agents = async (): Promise<Agent[]> => (await h.core.service.list({ workspace: 'T1' })).agents;

  /** Launches with /agent and returns the agent and its thread's ts. */
  async function launched(text = 'repo=acme/app fix the login test'): Promise<{ agent: Agent; root: string }> {
    const before = (await agents()).length;
    await h.command(text);
    const list = await waitFor(async () => ((await agents()).length > before ? agents() : undefined), { what: 'the agent' });
    const agent = list[0]!;
    const conversation = agent.conversations[0]!;
    if (conversation.kind !== 'slack') throw new Error('expected a Slack conversation');
    return { agent, root: conversation.threadTs };
  }

  const reply = (root: string, text: string, user = 'U2', extra: Record<string, unknown> = {}) =>
    h.event({ type: 'message', channel: 'C1', channel_type: 'channel', user, text, ts: h.slack.nextTs(), thread_ts: root, team: 'T1', ...extra });

  const botSaid = (root: string, fragment: string) => h.slack.okCalls('chat.postMessage').some((c) => c.args.thread_ts === root && String(c.args.text).includes(fragment));

  it("delivers a reply in a busy agent's thread to its inbox and says it is queued", async () => {
    const { agent, root } = await launched();
    await h.core.service.transition(agent.id, 'preparing');
    await h.core.service.transition(agent.id, 'running');
    expect((await reply(root, 'also fix the signup test')).status).toBe(200);
    await waitFor(async () => (await h.core.stores.inbox.size(agent.id)) === 1, { what: 'the inbox' });
    await waitFor(() => botSaid(root, 'Queued (#1)'), { what: 'the queued reply' });
    await reply(root, 'and the logout one');
    await waitFor(() => botSaid(root, 'Queued (#2)'), { what: 'the second queued reply' });
  });

  it('resumes a finished agent with a reply and says so', async () => {
    const { agent, root } = await launched();
    await h.core.service.transition(agent.id, 'preparing');
    await h.core.service.transition(agent.id, 'running');
    await h.core.service.transition(agent.id, 'finished');
    await reply(root, 'now add a test for it');
    await waitFor(async () => (await h.core.service.get(agent.id))?.status === 'queued', { what: 'the agent to resume' });
    await waitFor(() => botSaid(root, 'Resuming'), { what: 'the resume reply' });
  });

  it('refuses follow-ups from others when team follow-ups are owner-only, and explains why to them alone', async () => {
    await h.core.stores.settings.set('T1', { ...(await h.core.stores.settings.get('T1')), teamFollowUps: 'owner' });
    const { agent, root } = await launched();
    await reply(root, 'let me steer this', 'U2');
    await waitFor(() => h.slack.okCalls('chat.postEphemeral').some((c) => c.args.user === 'U2' && String(c.args.text).includes('only')), { what: 'the refusal' });
    expect(await h.core.stores.inbox.size(agent.id)).toBe(0);
    await reply(root, 'owner here, go on', 'U1');
    await waitFor(async () => (await h.core.stores.inbox.size(agent.id)) === 1, { what: "the owner's follow-up" });
    await reply(root, 'admin override', 'UADMIN');
    await waitFor(async () => (await h.core.stores.inbox.size(agent.id)) === 2, { what: "a Slack admin's follow-up" });
  });

  it("ignores edits, deletions, other bots and its own messages in an agent's thread", async () => {
    const { agent, root } = await launched();
    await reply(root, 'edited', 'U2', { subtype: 'message_changed' });
    await reply(root, 'from a bot', 'U3', { bot_id: 'B999' });
    await reply(root, 'from me', botUserId, { bot_id: botId });
    await reply(root, 'deleted', 'U2', { subtype: 'message_deleted' });
    // A last real reply: once it lands, the ones before it have been handled (and ignored).
    await reply(root, 'real one', 'U2');
    await waitFor(async () => (await h.core.stores.inbox.size(agent.id)) >= 1, { what: 'the real reply' });
    const inbox = await h.core.stores.inbox.drain(agent.id);
    expect(inbox.map((f) => f.text)).toEqual(['real one']);
  });

  it('starts an agent from a mention in a thread with the thread as context, follows up on the next mention, and starts a new one on "agent …"', async () => {
    const top = h.slack.seedMessage({ channel: 'C1', user: 'U2', text: 'login fails on Safari when cookies are off' });
    h.slack.seedMessage({ channel: 'C1', user: 'U1', text: 'stack trace says token is undefined', threadTs: top.ts });
    const mentionTs = h.slack.nextTs();
    await h.event({ type: 'app_mention', channel: 'C1', user: 'U1', text: `<@${botUserId}> repo=acme/app fix this`, ts: mentionTs, thread_ts: top.ts, team: 'T1' });
    const [agent] = await waitFor(async () => ((await agents()).length === 1 ? agents() : undefined), { what: 'the agent' });
    expect(agent!.prompt).toBe('fix this');
    expect(agent!.context).toContain('login fails on Safari');
    expect(agent!.context).toContain('token is undefined');
    expect(agent!.owner.name).toBe('Ada Lovelace');
    await waitFor(() => h.slack.okCalls('chat.postMessage').some((c) => c.args.thread_ts === top.ts && JSON.stringify(c.args.blocks).includes(agent!.id)), { what: 'the status reply' });

    await h.event({ type: 'app_mention', channel: 'C1', user: 'U1', text: `<@${botUserId}> also check Firefox`, ts: h.slack.nextTs(), thread_ts: top.ts, team: 'T1' });
    await waitFor(async () => (await h.core.stores.inbox.size(agent!.id)) === 1, { what: 'the follow-up' });

    await h.event({ type: 'app_mention', channel: 'C1', user: 'U1', text: `<@${botUserId}> agent repo=acme/app write a regression test`, ts: h.slack.nextTs(), thread_ts: top.ts, team: 'T1' });
    const both = await waitFor(async () => ((await agents()).length === 2 ? agents() : undefined), { what: 'a second agent' });
    expect(both[0]!.prompt).toBe('write a regression test');
    expect(both[0]!.conversations).toEqual(agent!.conversations);
  });

  it('stops the agent of a thread on "@errand stop"', async () => {
    const { agent, root } = await launched();
    await h.event({ type: 'app_mention', channel: 'C1', user: 'U1', text: `<@${botUserId}> stop`, ts: h.slack.nextTs(), thread_ts: root, team: 'T1' });
    await waitFor(async () => (await h.core.service.get(agent.id))?.status === 'stopped', { what: 'the stop' });
  });

  it('posts only status and links, no summary, in a channel shared with another organisation', async () => {
    h.slack.addChannel('CEXT', { external: true });
    const mentionTs = h.slack.nextTs();
    await h.event({ type: 'app_mention', channel: 'CEXT', user: 'U1', text: `<@${botUserId}> repo=acme/app fix it`, ts: mentionTs, team: 'T1' }, { external: true });
    const [agent] = await waitFor(async () => ((await agents()).length === 1 ? agents() : undefined), { what: 'the agent' });
    expect(agent!.conversations[0]).toMatchObject({ kind: 'slack', external: true });
    await h.core.service.transition(agent!.id, 'preparing');
    await h.core.service.transition(agent!.id, 'running');
    await h.core.stores.events.append(agent!.id, { type: 'summary', text: 'Changed `src/secret-sauce.ts` to call `decrypt()`', branch: agent!.branch, prUrl: 'https://github.com/acme/app/pull/9', diffstat: 'src/secret-sauce.ts | 2 +-' });
    await h.core.service.transition(agent!.id, 'finished');
    const summary = await waitFor(() => h.slack.okCalls('chat.postMessage').find((c) => c.args.thread_ts === mentionTs && JSON.stringify(c.args.blocks).includes('Summary')), { what: 'the summary reply' });
    const posted = JSON.stringify(h.slack.calls.map((c) => c.args));
    expect(posted).not.toContain('secret-sauce');
    expect(JSON.stringify(summary.args.blocks)).toContain('https://github.com/acme/app/pull/9');

    // Once the workspace allows summaries in shared channels, they show there (unless privacy mode).
    await h.core.stores.settings.set('T1', { ...(await h.core.stores.settings.get('T1')), displaySummaryExternal: true });
    await h.core.service.followUp(agent!.id, agent!.owner, 'one more thing', agent!.conversations[0]!);
    await h.core.service.transition(agent!.id, 'preparing');
    await h.core.service.transition(agent!.id, 'running');
    await h.core.stores.events.append(agent!.id, { type: 'summary', text: 'Now also `src/other.ts`', branch: agent!.branch, prUrl: null, diffstat: null });
    await waitFor(() => JSON.stringify(h.slack.okCalls('chat.postMessage').map((c) => c.args.blocks)).includes('src/other.ts'), { what: 'the full summary' });
  });

  it('treats a channel as external once channel_shared says so, even for agents started before', async () => {
    const { agent, root } = await launched();
    h.slack.addChannel('C1', { external: true });
    await h.event({ type: 'channel_shared', connected_team_id: 'T2', channel: 'C1', event_ts: h.slack.nextTs() });
    await waitFor(() => h.slack.okCalls('conversations.info').length >= 2, { what: 'the re-check' });
    await waitFor(async () => (await h.frontend.notifier['deps'].state.channelExternal('T1', 'C1')) === true, { what: 'the stored flag' });
    await h.core.stores.events.append(agent.id, { type: 'summary', text: 'Touched `src/private.ts`', branch: agent.branch, prUrl: null, diffstat: null });
    await waitFor(() => h.slack.okCalls('chat.postMessage').some((c) => c.args.thread_ts === root && JSON.stringify(c.args.blocks).includes('Summary')), { what: 'the summary reply' });
    expect(JSON.stringify(h.slack.calls.map((c) => c.args))).not.toContain('private.ts');
  });

  it('never posts code from a privacy-mode agent, even in an internal channel', async () => {
    const { agent, root } = await launched('repo=acme/app privacy=true fix it');
    await h.core.stores.events.append(agent.id, { type: 'summary', text: 'Fixed it:\n```\nconst key = load();\n```', branch: agent.branch, prUrl: null, diffstat: 'src/keys.ts | 1 +' });
    await waitFor(() => h.slack.okCalls('chat.postMessage').some((c) => c.args.thread_ts === root && JSON.stringify(c.args.blocks).includes('Summary')), { what: 'the summary reply' });
    const posted = JSON.stringify(h.slack.calls.map((c) => c.args));
    expect(posted).not.toContain('const key');
    expect(posted).not.toContain('src/keys.ts');
  });

  it("shows a person's recent agents on the App Home tab", async () => {
    const { agent } = await launched();
    await h.event({ type: 'app_home_opened', user: 'U1', channel: 'D1', tab: 'home', event_ts: h.slack.nextTs() });
    const publish = await waitFor(() => h.slack.okCalls('views.publish')[0], { what: 'the home view' });
    expect(publish.args.user_id).toBe('U1');
    expect(JSON.stringify(publish.args.view)).toContain(agent.id);
  });

  it('unwraps the <https://…|label> form Slack gives links, so repo= names the repository', async () => {
    await h.event({ type: 'app_mention', channel: 'C1', user: 'U1', text: `<@${botUserId}> repo=<https://git.example.com/acme/app.git|git.example.com/acme/app.git> fix <https://example.com/issues/1>`, ts: h.slack.nextTs(), team: 'T1' });
    const [agent] = await waitFor(async () => ((await agents()).length === 1 ? agents() : undefined), { what: 'the agent' });
    expect(agent!.repo).toEqual({ url: 'https://git.example.com/acme/app.git' });
    expect(agent!.prompt).toBe('fix https://example.com/issues/1');
  });
});
