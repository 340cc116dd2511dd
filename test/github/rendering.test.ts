import { waitFor } from '../support/wait.js';
import { findMention } from '../../src/frontends/github/mention.js';
import { githubHarnessPerTest, installationId, repo } from './harness.js';

describe('GitHub: what the tracking comment shows', () => {
  const h = githubHarnessPerTest();

  it('never posts a token, and does not ping people the agent names', async () => {
    await h.deliver('issue_comment', h.issueComment({ body: '@errand fix it', number: 1 }));
    const [agent] = await h.agents();
    const token = `ghs_${'A1b2C3d4'.repeat(5)}`;
    await h.core.service.transition(agent!.id, 'preparing');
    await h.core.service.transition(agent!.id, 'running');
    await h.core.stores.events.append(agent!.id, { type: 'summary', text: `Done; used ${token} and asked @octocat to review.`, branch: agent!.branch, prUrl: null, diffstat: null });
    await h.core.service.transition(agent!.id, 'finished');
    const comment = await waitFor(() => h.fake.botComments(repo, 1).find((c) => c.body.includes('Errand finished')), { what: 'the finished comment' });
    expect(comment.body).not.toContain(token);
    expect(comment.body).toContain('[redacted]');
    expect(comment.body).toContain('@\u200boctocat');
  });

  it('shows only status, links and error codes when the workspace hides summaries', async () => {
    const workspace = String(installationId);
    await h.core.stores.settings.set(workspace, { ...(await h.core.stores.settings.get(workspace)), displaySummary: false });
    await h.deliver('issue_comment', h.issueComment({ body: '@errand fix it', number: 1 }));
    const [agent] = await h.agents();
    await h.core.service.transition(agent!.id, 'preparing');
    await h.core.stores.events.append(agent!.id, { type: 'error', code: 'model_failed', message: 'the model said: secret plan in src/secret.ts' });
    await h.core.stores.events.append(agent!.id, { type: 'summary', text: 'Changed src/secret.ts', branch: agent!.branch, prUrl: null, diffstat: null });
    await h.core.service.transition(agent!.id, 'failed');
    const comment = await waitFor(() => h.fake.botComments(repo, 1).find((c) => c.body.includes('Errand failed')), { what: 'the failed comment' });
    expect(comment.body).toContain('`model_failed`');
    expect(comment.body).not.toContain('secret');
  });
});

describe('GitHub: reading a mention', () => {
  it('finds the trigger in prose, not in code or quotes, and reads `new`', () => {
    expect(findMention('@errand fix the login test', '@errand')).toEqual({ text: 'fix the login test', forceNew: false });
    expect(findMention('Hey @Errand, new: add docs', '@errand')).toEqual({ text: 'Hey add docs', forceNew: true });
    expect(findMention('@errand new add docs', '@errand')).toEqual({ text: 'add docs', forceNew: true });
    expect(findMention('see `@errand` and\n```\n@errand run\n```', '@errand')).toBeNull();
    expect(findMention('> @errand fix it\nthanks', '@errand')).toBeNull();
    expect(findMention('mail me@errand.dev or @errand-bot', '@errand')).toBeNull();
    expect(findMention('<!-- @errand do it -->', '@errand')).toBeNull();
  });
});
