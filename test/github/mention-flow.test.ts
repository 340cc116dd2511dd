import { waitFor } from '../support/wait.js';
import { example, githubHarnessPerTest, installationId, repo } from './harness.js';

describe('GitHub: an @errand mention in an issue', () => {
  const h = githubHarnessPerTest();

  it('reacts 👀, launches an agent on the repo and keeps one tracking comment up to date until it finishes', async () => {
    const payload = h.issueComment({ body: '@errand please fix the greeting typo', number: 1 });
    const commentId = Number((payload.comment as { id: number }).id);
    const { status } = await h.deliver('issue_comment', payload);
    expect(status).toBe(200);

    const [agent] = await h.agents();
    expect(agent).toBeDefined();
    expect(agent!.repo?.url).toBe(repo);
    expect(agent!.prompt).toBe('please fix the greeting typo');
    expect(agent!.owner).toMatchObject({ kind: 'github', id: 'Codertocat', workspace: String(installationId) });
    expect(agent!.context).toContain('Spelling error in the README file');
    expect(agent!.context).toContain('Fixes #1');
    expect(agent!.conversations).toEqual([{ kind: 'github', installationId, repo, number: 1, isPullRequest: false }]);

    await waitFor(() => h.fake.reactions.some((r) => r.commentId === commentId && r.content === 'eyes'), { what: 'the 👀 reaction' });
    const tracking = await waitFor(() => h.fake.botComments(repo, 1)[0], { what: 'the tracking comment' });
    expect(tracking.body).toContain('Errand is on it');
    expect(tracking.body).toContain(agent!.branch);

    const id = agent!.id;
    await h.core.service.transition(id, 'preparing');
    await h.core.stores.events.append(id, { type: 'milestone', name: 'environment_ready', text: 'environment ready' });
    await h.core.service.transition(id, 'running');
    await waitFor(() => tracking.body.includes('Working on it…') && tracking.body.includes('- [x] Environment ready'), { what: 'the running checklist' });

    await h.core.stores.events.append(id, { type: 'milestone', name: 'pushed', text: 'pushed' });
    const prUrl = `https://github.com/${repo}/pull/7`;
    await h.core.stores.events.append(id, { type: 'summary', text: 'Fixed the typo in README.md.', branch: agent!.branch, prUrl, diffstat: ' README.md | 2 +-' });
    await h.core.service.transition(id, 'finished', { patch: { prUrl, prNumber: 7 } });
    await waitFor(() => tracking.body.includes('Errand finished'), { what: 'the finished header' });

    expect(tracking.body).toMatch(/Errand finished\*\* in \d+s/);
    expect(tracking.body).toContain(`Branch: \`${agent!.branch}\``);
    expect(tracking.body).toContain(`Pull request: ${prUrl}`);
    expect(tracking.body).toContain('Fixed the typo in README.md.');
    expect(tracking.body).toContain(`https://errand.example.com/agents/${id}`);
    // One comment, edited in place.
    expect(h.fake.botComments(repo, 1)).toHaveLength(1);
    expect(h.fake.callsTo('POST', '/repos/:owner/:repo/issues/:number/comments')).toHaveLength(1);
    expect(h.fake.callsTo('PATCH', '/repos/:owner/:repo/issues/comments/:id').length).toBeGreaterThanOrEqual(2);
    // Every repository call used an installation token of the right installation.
    const repoCalls = h.fake.calls.filter((c) => c.path.startsWith('/repos/'));
    expect(repoCalls.every((c) => c.auth === 'installation' && (c.installationId === installationId || c.status === 404))).toBe(true);
  });
});

describe('GitHub: an @errand mention in a pull request', () => {
  const h = githubHarnessPerTest();

  it("works on the pull request's own head branch when the PR is from the same repository", async () => {
    h.fake.addPull({ repo, number: 5, title: 'Update the README', body: 'Small fixes.', user: 'Codertocat', headRef: 'readme-fixes', headRepo: repo, baseRef: 'main' });
    await h.deliver('issue_comment', h.issueComment({ body: '@errand add a test for the greeting', number: 5, pullRequest: true }));
    const [agent] = await h.agents();
    expect(agent!.branch).toBe('readme-fixes');
    expect(agent!.baseBranch).toBe('main');
    expect(agent!.conversations[0]).toMatchObject({ kind: 'github', number: 5, isPullRequest: true });
    expect(agent!.context).toContain("pull request's own branch `readme-fixes`");
    expect(agent!.context).not.toContain('Fixes #5');
    const tracking = await waitFor(() => h.fake.botComments(repo, 5)[0], { what: 'the tracking comment' });
    expect(tracking.body).toContain('Branch: `readme-fixes`');
  });

  it("gets a new branch in the base repository for a fork's pull request, and says so", async () => {
    h.fake.addPull({ repo, number: 6, title: 'Typo', body: 'From a fork.', user: 'someone', headRef: 'patch-1', headRepo: 'someone/Hello-World', baseRef: 'main', authorAssociation: 'NONE' });
    await h.deliver('issue_comment', h.issueComment({ body: '@errand rebase this and fix the lint errors', number: 6, pullRequest: true }));
    const [agent] = await h.agents();
    expect(agent!.branch).not.toBe('patch-1');
    expect(agent!.branch).toMatch(/^errand\//);
    expect(agent!.context).toContain('git fetch origin pull/6/head');
    const note = await waitFor(() => h.fake.botComments(repo, 6).find((c) => c.body.includes('comes from a fork')), { what: 'the fork note' });
    expect(note.body).toContain(agent!.branch);
  });

  it('takes file, line and diff hunk from a review comment and answers in that review thread', async () => {
    const payload = h.reviewComment({ body: '@errand rename this heading' });
    const commentId = Number((payload.comment as { id: number }).id);
    await h.deliver('pull_request_review_comment', payload);
    const [agent] = await h.agents();
    expect(agent!.branch).toBe('changes');
    expect(agent!.context).toContain('`README.md`');
    expect(agent!.context).toContain('```diff');
    expect(agent!.conversations[0]).toMatchObject({ kind: 'github', number: 2, isPullRequest: true, reviewCommentId: commentId });
    const reply = await waitFor(() => h.fake.botComments(repo, 2)[0], { what: 'the reply in the review thread' });
    expect(reply.kind).toBe('review');
    expect(reply.inReplyTo).toBe(commentId);
    await waitFor(() => h.fake.reactions.some((r) => r.commentId === commentId && r.kind === 'review' && r.content === 'eyes'), { what: 'the 👀 on the review comment' });

    await h.core.service.transition(agent!.id, 'preparing');
    await h.core.service.transition(agent!.id, 'failed', { patch: { error: { code: 'git_failed', message: 'push rejected' } } });
    await h.core.stores.events.append(agent!.id, { type: 'error', code: 'git_failed', message: 'push rejected' });
    await waitFor(() => reply.body.includes('Errand failed') && reply.body.includes('git_failed'), { what: 'the failed header in the thread' });
    expect(h.fake.botComments(repo, 2)).toHaveLength(1);
  });
});

describe('GitHub: assigning or labelling an issue', () => {
  const h = githubHarnessPerTest();

  it('starts an agent on the issue when the `errand` label is added by a writer, and only one while it runs', async () => {
    const payload = example('issues', 'labeled');
    payload.installation = { id: installationId };
    (payload.label as { name: string }).name = 'errand';
    await h.deliver('issues', payload);
    const agents = await h.agents();
    expect(agents).toHaveLength(1);
    expect(agents[0]!.prompt).toContain('Resolve issue #1');
    await h.deliver('issues', payload);
    expect(await h.agents()).toHaveLength(1);
  });

  it('ignores other labels', async () => {
    const payload = example('issues', 'labeled');
    payload.installation = { id: installationId };
    await h.deliver('issues', payload);
    expect(await h.agents()).toHaveLength(0);
  });

  it('starts an agent when the issue is assigned to the app', async () => {
    const payload = example('issues', 'assigned');
    payload.installation = { id: installationId };
    payload.assignee = { ...(payload.assignee as object), login: h.fake.botLogin, type: 'Bot' };
    await h.deliver('issues', payload);
    const agents = await h.agents();
    expect(agents).toHaveLength(1);
    expect(agents[0]!.context).toContain('Fixes #1');
  });
});
