import { slackHarnessPerTest } from '../support/slack.js';
import { waitFor } from '../support/wait.js';

describe('Slack: an archived agent takes no follow-up', () => {
  const h = slackHarnessPerTest();

  it("explains to the person alone that a reply in an archived agent's thread was not delivered", async () => {
    await h.command('repo=acme/app fix the login test');
    const agent = await waitFor(async () => (await h.core.service.list({ workspace: 'T1' })).agents[0], { what: 'the agent' });
    const conversation = agent.conversations[0]!;
    if (conversation.kind !== 'slack') throw new Error('expected a Slack conversation');
    await h.core.service.transition(agent.id, 'preparing');
    await h.core.service.transition(agent.id, 'running');
    await h.core.service.transition(agent.id, 'finished');
    await h.core.stores.runs.archive(agent.id, new Date().toISOString());

    await h.event({ type: 'message', channel: 'C1', channel_type: 'channel', user: 'U1', text: 'one more thing', ts: h.slack.nextTs(), thread_ts: conversation.threadTs, team: 'T1' });
    const refusal = await waitFor(() => h.slack.okCalls('chat.postEphemeral').find((c) => c.args.user === 'U1' && String(c.args.text).includes('is archived')), { what: 'the refusal' });
    expect(refusal.args.thread_ts).toBe(conversation.threadTs);
    expect(await h.core.stores.inbox.size(agent.id)).toBe(0);
    expect((await h.core.service.require(agent.id)).status).toBe('finished');
  });
});
