import { waitFor } from '../support/wait.js';
import { githubHarnessPerTest, repo } from './harness.js';

describe('GitHub: an archived agent takes no follow-up', () => {
  const h = githubHarnessPerTest();

  it('answers a mention in its issue with the refusal and queues nothing, then resumes once unarchived', async () => {
    await h.deliver('issue_comment', h.issueComment({ body: '@errand fix the greeting', number: 1 }));
    const [agent] = await h.agents();
    const id = agent!.id;
    await h.core.service.transition(id, 'preparing');
    await h.core.service.transition(id, 'running');
    await h.core.service.transition(id, 'finished');
    await h.core.stores.runs.archive(id, new Date().toISOString());

    await h.deliver('issue_comment', h.issueComment({ body: '@errand now update the docs', number: 1 }));
    await waitFor(() => h.fake.botComments(repo, 1).some((c) => c.body.includes('is archived')), { what: 'the refusal in the issue' });
    expect((await h.core.service.require(id)).status).toBe('finished');
    expect(await h.core.stores.inbox.size(id)).toBe(0);
    expect(await h.agents()).toHaveLength(1);

    await h.core.stores.runs.unarchive(id);
    await h.deliver('issue_comment', h.issueComment({ body: '@errand now update the docs', number: 1 }));
    expect((await h.core.service.require(id)).status).toBe('queued');
  });
});
