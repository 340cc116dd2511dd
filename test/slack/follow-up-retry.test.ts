import { slackHarnessPerTest } from '../support/slack.js';
import { waitFor } from '../support/wait.js';

describe('Slack: a reply whose job is retried after it queued the follow-up', () => {
  const h = slackHarnessPerTest();

  it('is queued for the agent once, and the answer is posted by the retry', async () => {
    await h.command('repo=acme/app fix the login test');
    const agent = await waitFor(async () => (await h.core.service.list({ workspace: 'T1' })).agents[0], { what: 'the agent' });
    const conversation = agent.conversations[0]!;
    if (conversation.kind !== 'slack') throw new Error('expected a Slack conversation');
    const queuedAnswers = () => h.slack.calls.filter((c) => c.method === 'chat.postMessage' && String(c.args.text).includes('Queued (#'));
    // The thread's status message is out, so the failure below meets the follow-up's answer.
    await waitFor(() => h.slack.okCalls('chat.postMessage').some((c) => String(c.args.text).includes('fix the login test')), { what: 'the status message' });
    // The job queues the follow-up, then Slack fails the answer: the queue runs the job again.
    h.slack.fail('chat.postMessage', 1, 'internal_error');
    await h.event({ type: 'message', channel: 'C1', channel_type: 'channel', user: 'U1', text: 'also the signup test', ts: h.slack.nextTs(), thread_ts: conversation.threadTs, team: 'T1' });
    await waitFor(() => queuedAnswers().length === 2, { what: 'the failed answer and the retried one' });
    expect(queuedAnswers().map((c) => c.args.text)).toEqual([expect.stringContaining('Queued (#1)'), expect.stringContaining('Queued (#1)')]);
    expect((await h.core.stores.inbox.drain(agent.id)).map((f) => f.text)).toEqual(['also the signup test']);
    expect((await h.core.stores.events.read(agent.id)).filter((e) => e.type === 'follow_up')).toHaveLength(1);
  });
});
