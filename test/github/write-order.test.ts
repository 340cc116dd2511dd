import { waitFor } from '../support/wait.js';
import { githubHarnessPerTest, repo } from './harness.js';

describe('GitHub: 👀 first under a burst of mentions, with write throttling on', () => {
  const h = githubHarnessPerTest({ triggerQueue: true, throttle: true });

  it('reacts 👀 to each comment before any other write about it, and posts one tracking comment per issue', async () => {
    const burst = 4;
    const payloads = Array.from({ length: burst }, (_, i) => h.issueComment({ body: `@errand fix bug ${i}`, number: 40 + i }));
    const answers = await Promise.all(payloads.map((payload) => h.deliver('issue_comment', payload)));
    expect(answers.map((a) => a.status)).toEqual(Array(burst).fill(200));

    const tracked = (number: number) => h.fake.botComments(repo, number).filter((c) => c.body.includes('Errand is on it'));
    await waitFor(() => h.fake.reactions.length === burst && payloads.every((_, i) => tracked(40 + i).length > 0), { what: 'every 👀 and tracking comment', timeoutMs: 30_000 });
    await h.github.idle();

    const writes = h.fake.calls.filter((c) => c.method !== 'GET' && !c.path.startsWith('/app/'));
    payloads.forEach((payload, i) => {
      const commentId = (payload.comment as { id: number }).id;
      const about = writes.filter((c) => c.path.endsWith(`/issues/comments/${commentId}/reactions`) || c.path.endsWith(`/issues/${40 + i}/comments`));
      expect(about.map((c) => c.route)).toEqual(['POST /repos/:owner/:repo/issues/comments/:id/reactions', 'POST /repos/:owner/:repo/issues/:number/comments']);
      expect(about[0]!.body).toEqual({ content: 'eyes' });
      expect(tracked(40 + i)).toHaveLength(1);
    });
  });
});
