import { waitFor } from '../support/wait.js';
import { githubHarnessPerTest, repo } from './harness.js';

describe('GitHub: answered once verified and de-duplicated, handled by a job', () => {
  const h = githubHarnessPerTest({ triggerQueue: true });

  it('answers a mention before asking GitHub who the sender is, then launches from the job', async () => {
    let open: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (open = resolve));
    h.fake.route('GET', '/repos/:owner/:repo/collaborators/:user/permission', async (req) => {
      await gate;
      return { status: 200, body: { permission: 'admin', role_name: 'admin', user: { login: req.params['user'] } } };
    });
    const answer = await h.deliver('issue_comment', h.issueComment({ body: '@errand fix the typo', number: 3 }));
    // The permission check has not been answered yet, and the webhook already was.
    expect(answer.status).toBe(200);
    expect(await h.agents()).toHaveLength(0);
    open();
    const [agent] = await waitFor(async () => ((await h.agents()).length === 1 ? h.agents() : undefined), { what: 'the agent launched by the job' });
    expect(agent).toMatchObject({ status: 'queued', owner: { id: 'Codertocat' }, conversations: [{ kind: 'github', number: 3 }] });
    await waitFor(() => h.fake.reactions.length === 1, { what: 'the 👀 on the comment' });
  });

  it('still tells someone without write access, in the issue, that they may not', async () => {
    h.fake.grant(repo, 'visitor', 'read');
    expect((await h.deliver('issue_comment', h.issueComment({ body: '@errand delete the tests', number: 1, login: 'visitor' }))).status).toBe(200);
    const replies = await waitFor(() => {
      const found = h.fake.botComments(repo, 1);
      return found.length > 0 && found;
    }, { what: 'the refusal comment' });
    await h.github.idle();
    expect(replies.map((c) => c.body)).toEqual([expect.stringContaining('Only people with write access')]);
    expect(await h.agents()).toHaveLength(0);
  });

  it('handles a redelivered webhook once', async () => {
    const payload = h.issueComment({ body: '@errand add a test', number: 5 });
    const first = await h.deliver('issue_comment', payload, { deliveryId: 'delivery-once' });
    const again = await h.deliver('issue_comment', payload, { deliveryId: 'delivery-once' });
    expect([first.status, again.status]).toEqual([200, 200]);
    await waitFor(async () => (await h.agents()).length === 1, { what: 'the agent' });
    await waitFor(() => h.fake.reactions.length === 1, { what: 'the 👀' });
    await h.github.idle();
    expect(await h.agents()).toHaveLength(1);
    expect(h.fake.callsTo('GET', '/repos/:owner/:repo/collaborators/:user/permission')).toHaveLength(1);
  });

  it('answers comments without a mention without enqueueing or asking GitHub anything', async () => {
    expect((await h.deliver('issue_comment', h.issueComment({ body: 'just a thought', number: 6 }))).status).toBe(200);
    await h.github.idle();
    expect(h.fake.calls).toHaveLength(0);
  });
});
