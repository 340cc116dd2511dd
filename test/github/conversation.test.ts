import { slackThread, slackUser } from '../support/core.js';
import { waitFor } from '../support/wait.js';
import { githubHarnessPerTest, installationId, repo } from './harness.js';

describe('GitHub: one agent per issue or pull request', () => {
  const h = githubHarnessPerTest();

  it("sends a mention while the agent runs to its inbox, and resumes the same agent after it finished", async () => {
    await h.deliver('issue_comment', h.issueComment({ body: '@errand fix the greeting', number: 1 }));
    const [agent] = await h.agents();
    const id = agent!.id;
    await h.core.service.transition(id, 'preparing');
    await h.core.service.transition(id, 'running');

    h.fake.grant(repo, 'hubot', 'write');
    await h.deliver('issue_comment', h.issueComment({ body: '@errand also update the docs', number: 1, login: 'hubot' }));
    expect(await h.agents()).toHaveLength(1);
    expect(await h.core.stores.inbox.size(id)).toBe(1);
    await waitFor(() => h.fake.botComments(repo, 1).some((c) => c.body.includes('@hubot queued for the running agent')), { what: 'the queued acknowledgement' });

    const drained = await h.core.stores.inbox.drain(id);
    expect(drained[0]).toMatchObject({ text: 'also update the docs', author: { kind: 'github', id: 'hubot' } });
    await h.core.service.transition(id, 'finished');
    const first = await waitFor(() => h.fake.botComments(repo, 1).find((c) => c.body.includes('Errand finished')), { what: 'the finished header' });
    expect(first.body).toContain('Follow-ups read by the agent: @hubot');

    await h.deliver('issue_comment', h.issueComment({ body: '@errand the docs link is broken, fix it', number: 1 }));
    expect(await h.agents()).toHaveLength(1);
    expect((await h.core.service.require(id)).status).toBe('queued');
    // The resumed run gets its own tracking comment; the finished one keeps its final header.
    const second = await waitFor(() => h.fake.botComments(repo, 1).find((c) => c.id !== first.id && c.body.includes('resuming')), { what: 'a tracking comment for the resumed run' });
    expect(second.body).toContain(`round=2`);
    expect(first.body).toContain('Errand finished');
  });

  it('starts a separate agent for `@errand new …` even while one runs', async () => {
    await h.deliver('issue_comment', h.issueComment({ body: '@errand fix the greeting', number: 1 }));
    await h.deliver('issue_comment', h.issueComment({ body: '@errand new: write a changelog entry', number: 1 }));
    const agents = await h.agents();
    expect(agents).toHaveLength(2);
    expect(agents.map((a) => a.prompt).sort()).toEqual(['fix the greeting', 'write a changelog entry']);
    // Each agent tracks its progress in a comment of its own.
    await waitFor(() => h.fake.botComments(repo, 1).length === 2, { what: 'two tracking comments' });
  });

  it('keeps one tracking comment in the issue when the agent asked for there opens a pull request', async () => {
    await h.deliver('issue_comment', h.issueComment({ body: '@errand fix the greeting', number: 1 }));
    const [agent] = await h.agents();
    const id = agent!.id;
    await h.core.service.transition(id, 'preparing');
    await h.core.service.transition(id, 'running');
    // The engine links the PR conversation when it opens the PR, then settles the agent.
    await h.core.service.addConversation(id, { kind: 'github', installationId, repo, number: 9, isPullRequest: true });
    await h.core.stores.events.append(id, { type: 'milestone', name: 'pr_opened', text: 'opened draft pull request #9', data: { number: 9, url: `https://github.com/${repo}/pull/9` } });
    await h.core.service.transition(id, 'finished', { patch: { prUrl: `https://github.com/${repo}/pull/9`, prNumber: 9 } });
    await waitFor(() => h.fake.botComments(repo, 1).find((c) => c.body.includes('Errand finished')), { what: 'the finished header in the issue' });
    // The PR conversation has read the same events (its cursor moved) without posting anything.
    await waitFor(async () => ((await h.core.stores.cursors.get(id, `github:${repo.toLowerCase()}#9`)) ? true : undefined), { what: 'the PR conversation to be served' });
    expect(h.fake.botComments(repo, 9)).toEqual([]);
    expect(h.fake.botComments(repo, 1)).toHaveLength(1);
  });

  it('continues a Slack-started agent when its pull request gets a mention', async () => {
    const { agent } = await h.core.service.launch({ principal: slackUser(), workspace: 'T1', conversation: slackThread(), text: `repo=${repo} fix the greeting` });
    await h.core.service.transition(agent.id, 'preparing');
    await h.core.service.transition(agent.id, 'running');
    await h.core.service.transition(agent.id, 'finished', { patch: { prUrl: `https://github.com/${repo}/pull/9`, prNumber: 9 } });
    // The engine links the PR conversation when it opens the PR.
    await h.core.service.addConversation(agent.id, { kind: 'github', installationId, repo, number: 9, isPullRequest: true });
    await h.core.stores.settings.set('T1', { ...(await h.core.stores.settings.get('T1')), teamFollowUps: 'everyone' });

    h.fake.addPull({ repo, number: 9, title: 'Fix the greeting', body: 'By Errand.', user: 'errand-test[bot]', headRef: agent.branch, headRepo: repo, baseRef: 'main' });
    await h.deliver('issue_comment', h.issueComment({ body: '@errand please also handle the empty name', number: 9, pullRequest: true }));
    expect(await h.agents()).toHaveLength(0);
    const resumed = await h.core.service.require(agent.id);
    expect(resumed.status).toBe('queued');
    const inbox = await h.core.stores.inbox.drain(agent.id);
    expect(inbox[0]).toMatchObject({ text: 'please also handle the empty name', source: `github:${repo.toLowerCase()}#9` });
    await waitFor(() => h.fake.botComments(repo, 9).some((c) => c.body.includes('resuming')), { what: 'a tracking comment on the PR' });
  });

  it('`@errand stop` stops the agent with the rights a Slack thread gives, and is never a follow-up', async () => {
    await h.deliver('issue_comment', h.issueComment({ body: '@errand fix the greeting', number: 1 }));
    const [agent] = await h.agents();
    const id = agent!.id;
    await h.core.service.transition(id, 'preparing');
    await h.core.service.transition(id, 'running');
    // A live worker holds the run (without one, a stop ends the agent at once: see the worker-crash tests).
    await h.core.stores.runLeases.acquire(id, 60_000);
    const workspace = String(installationId);
    await h.core.stores.settings.set(workspace, { ...(await h.core.stores.settings.get(workspace)), teamFollowUps: 'owner' });

    h.fake.grant(repo, 'hubot', 'write');
    await h.deliver('issue_comment', h.issueComment({ body: '@errand stop', number: 1, login: 'hubot' }));
    await waitFor(() => h.fake.botComments(repo, 1).some((c) => c.body.includes('@hubot only Codertocat')), { what: 'the refusal' });
    expect((await h.core.service.require(id)).status).toBe('running');

    await h.deliver('issue_comment', h.issueComment({ body: '@errand Stop.', number: 1 }));
    await waitFor(() => h.fake.botComments(repo, 1).some((c) => c.body.includes('@Codertocat stopping the agent')), { what: 'the stop acknowledgement' });
    const events = await h.core.stores.events.read(id);
    expect(events.some((e) => e.type === 'milestone' && e.name === 'stop_requested')).toBe(true);
    expect(events.some((e) => e.type === 'follow_up')).toBe(false);
    expect(await h.core.stores.inbox.size(id)).toBe(0);
    expect(await h.agents()).toHaveLength(1);
  });
});
