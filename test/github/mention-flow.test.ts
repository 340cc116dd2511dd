import { waitFor } from '../support/wait.js';
import { githubHarness, installationId, repo, type GitHubHarness } from './harness.js';

describe('GitHub: an @errand mention in an issue', () => {
  let h: GitHubHarness;
  beforeEach(async () => {
    h = await githubHarness();
  });
  afterEach(async () => {
    await h.close();
    h.fake.assertNoUnexpected();
  });

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
