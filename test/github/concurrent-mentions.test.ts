import { waitFor } from '../support/wait.js';
import { githubHarnessPerTest, repo } from './harness.js';

describe('GitHub: mentions arriving at the same moment', () => {
  const h = githubHarnessPerTest();

  it('starts one agent for one comment delivered twice under two delivery ids', async () => {
    const payload = h.issueComment({ body: '@errand fix the greeting typo', number: 1 });
    const results = await Promise.all([h.deliver('issue_comment', payload), h.deliver('issue_comment', payload)]);
    expect(results.map((r) => r.status)).toEqual([200, 200]);
    expect(results[0]!.deliveryId).not.toBe(results[1]!.deliveryId);

    const agents = await h.agents();
    expect(agents).toHaveLength(1);
    await waitFor(() => h.fake.botComments(repo, 1)[0], { what: 'the tracking comment' });
    await h.github.idle();
    expect(h.fake.botComments(repo, 1)).toHaveLength(1);
    expect(await h.core.stores.inbox.size(agents[0]!.id)).toBe(0);
  });

  it('starts one agent for two people mentioning at once; the later request becomes its follow-up', async () => {
    h.fake.grant(repo, 'hubot', 'write');
    const results = await Promise.all([
      h.deliver('issue_comment', h.issueComment({ body: '@errand fix the greeting typo', number: 1 })),
      h.deliver('issue_comment', h.issueComment({ body: '@errand and add a test for it', number: 1, login: 'hubot' })),
    ]);
    expect(results.map((r) => r.status)).toEqual([200, 200]);

    const agents = await h.agents();
    expect(agents).toHaveLength(1);
    const agent = agents[0]!;
    const other = agent.owner.id === 'hubot' ? 'fix the greeting typo' : 'and add a test for it';
    const followUps = (await h.core.stores.events.read(agent.id)).flatMap((e) => (e.type === 'follow_up' ? [e.text] : []));
    expect(followUps).toEqual([other]);
    // One tracking comment; the follow-up is acknowledged with a short reply, not a second agent.
    await waitFor(() => h.fake.botComments(repo, 1).some((c) => c.body.includes('Errand is on it')), { what: 'the tracking comment' });
    await h.github.idle();
    const comments = h.fake.botComments(repo, 1);
    expect(comments.filter((c) => c.body.includes('Errand is on it'))).toHaveLength(1);
    expect(comments.filter((c) => c.body.includes('queued for the running agent'))).toHaveLength(1);
  });
});
