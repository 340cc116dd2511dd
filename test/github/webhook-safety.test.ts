import { createHmac } from 'node:crypto';
import { waitFor } from '../support/wait.js';
import { githubHarnessPerTest, repo, webhookSecret } from './harness.js';

describe('GitHub webhooks: bad and repeated input', () => {
  const h = githubHarnessPerTest({ maxBodyBytes: 256 * 1024 });

  it('refuses forged, missing and SHA-1-only signatures and starts nothing', async () => {
    const payload = h.issueComment({ body: '@errand fix it', number: 1 });
    // @octokit/webhooks answers 400 to any signature that does not verify.
    expect((await h.deliver('issue_comment', payload, { signature: `sha256=${'0'.repeat(64)}` })).status).toBe(400);
    expect((await h.deliver('issue_comment', payload, { signature: null })).status).toBe(400);
    expect((await h.deliver('issue_comment', payload, { sha1Only: true })).status).toBe(400);
    // Signed with another secret: what a forger without ours would send.
    const raw = JSON.stringify(payload);
    const forged = `sha256=${createHmac('sha256', 'not-the-secret').update(raw).digest('hex')}`;
    expect((await h.deliver('issue_comment', payload, { signature: forged, raw })).status).toBe(400);
    // A correctly signed body that was altered on the way.
    const signed = `sha256=${createHmac('sha256', webhookSecret).update(raw).digest('hex')}`;
    expect((await h.deliver('issue_comment', payload, { signature: signed, raw: raw.replace('fix it', 'rm -rf') })).status).toBe(400);
    expect(await h.agents()).toHaveLength(0);
    expect(h.fake.calls).toHaveLength(0);
  });

  it('refuses an oversized body before reading it all', async () => {
    const payload = h.issueComment({ body: `@errand ${'x'.repeat(300 * 1024)}`, number: 1 });
    const { status } = await h.deliver('issue_comment', payload);
    expect(status).toBe(413);
    expect(await h.agents()).toHaveLength(0);
  });

  it('starts nothing twice for a redelivered webhook (same X-GitHub-Delivery)', async () => {
    const payload = h.issueComment({ body: '@errand fix it', number: 1 });
    const first = await h.deliver('issue_comment', payload);
    const again = await h.deliver('issue_comment', payload, { deliveryId: first.deliveryId });
    expect(again.status).toBe(200);
    expect(await h.agents()).toHaveLength(1);
    await h.github.idle();
    await waitFor(() => h.fake.botComments(repo, 1).length === 1, { what: 'one tracking comment' });
    expect(h.fake.callsTo('POST', '/repos/:owner/:repo/issues/:number/comments')).toHaveLength(1);
  });

  it('answers unknown events and actions with 200 and does nothing', async () => {
    expect((await h.deliver('star', { action: 'created', repository: { full_name: repo }, sender: { login: 'x' } })).status).toBe(200);
    expect((await h.deliver('issue_comment', { ...h.issueComment({ body: '@errand fix it', number: 1 }), action: 'deleted' })).status).toBe(200);
    expect((await h.deliver('issue_comment', h.issueComment({ body: 'no mention here', number: 1 }))).status).toBe(200);
    expect((await h.deliver('issue_comment', h.issueComment({ body: 'mentioning `@errand` in code, or\n> @errand in a quote', number: 1 }))).status).toBe(200);
    expect(await h.agents()).toHaveLength(0);
    expect(h.fake.calls).toHaveLength(0);
  });

  it('does not act on edited comments unless the repository opts in', async () => {
    await h.deliver('issue_comment', h.issueComment({ body: '@errand fix it', number: 1, action: 'edited', previousBody: 'fix it' }));
    expect(await h.agents()).toHaveLength(0);
    h.fake.files.set(`${repo}:.github/errand.yml`.toLowerCase(), 'editedComments: true\n');
    await h.deliver('issue_comment', h.issueComment({ body: '@errand fix it', number: 1, action: 'edited', previousBody: 'fix it' }));
    expect(await h.agents()).toHaveLength(1);
    // An edit that keeps an old mention is not a new request.
    await h.deliver('issue_comment', h.issueComment({ body: '@errand fix it properly', number: 2, action: 'edited', previousBody: '@errand fix it' }));
    expect(await h.agents()).toHaveLength(1);
  });

  it('still launches when the comment was deleted before the 👀 (reaction 404)', async () => {
    const payload = h.issueComment({ body: '@errand fix it', number: 1 });
    h.fake.comments.delete(Number((payload.comment as { id: number }).id));
    expect((await h.deliver('issue_comment', payload)).status).toBe(200);
    await h.github.idle();
    expect(await h.agents()).toHaveLength(1);
    expect(h.fake.callsTo('POST', '/repos/:owner/:repo/issues/comments/:id/reactions')[0]?.status).toBe(404);
  });

  it('ignores webhooks from an installation GitHub does not know (app not installed there)', async () => {
    const payload = h.issueComment({ body: '@errand fix it', number: 1 });
    payload.installation = { id: 999 };
    expect((await h.deliver('issue_comment', payload)).status).toBe(200);
    expect(await h.agents()).toHaveLength(0);
  });

  it('does not post a second tracking comment when GitHub answered 502 to a create that happened', async () => {
    // GitHub creates the comment, then the answer is lost.
    let lost = 1;
    const original = { count: 0 };
    h.fake.route('POST', '/repos/:owner/:repo/issues/:number/comments', (req) => {
      original.count++;
      const comment = h.fake.addComment({ id: 8_000_000 + original.count, kind: 'issue', repo, number: Number(req.params.number), body: String(req.body.body), user: h.fake.botLogin, userType: 'Bot' });
      if (lost-- > 0) return { status: 502, body: { message: 'Bad Gateway' } };
      return { status: 201, body: { id: comment.id, html_url: `${h.fake.url}/${repo}/issues/1#issuecomment-${comment.id}`, body: comment.body, user: { login: h.fake.botLogin, type: 'Bot' } } };
    });
    await h.deliver('issue_comment', h.issueComment({ body: '@errand fix it', number: 1 }));
    const [agent] = await h.agents();
    await waitFor(() => h.fake.callsTo('POST', '/repos/:owner/:repo/issues/:number/comments').length === 1, { what: 'the create' });
    await h.core.service.transition(agent!.id, 'preparing');
    await waitFor(() => h.fake.botComments(repo, 1).some((c) => c.body.includes('(preparing)')), { what: 'the comment found and edited' });
    expect(h.fake.botComments(repo, 1)).toHaveLength(1);
    expect(h.fake.callsTo('POST', '/repos/:owner/:repo/issues/:number/comments')).toHaveLength(1);
    expect(h.fake.callsTo('GET', '/repos/:owner/:repo/issues/:number/comments').length).toBeGreaterThanOrEqual(2);
  });
});

describe('GitHub API limits', () => {
  const h = githubHarnessPerTest({ throttle: true });

  it('waits out a secondary rate limit (retry-after) and 5xx answers, then succeeds', async () => {
    h.fake.failNext('POST', '/repos/:owner/:repo/issues/comments/:id/reactions', 403, {
      headers: { 'retry-after': '1', 'x-ratelimit-remaining': '4000' },
      body: { message: 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.' },
    });
    h.fake.failNext('GET', '/repos/:owner/:repo/collaborators/:user/permission', 502);
    const payload = h.issueComment({ body: '@errand fix it', number: 1 });
    expect((await h.deliver('issue_comment', payload)).status).toBe(200);
    expect(await h.agents()).toHaveLength(1);
    await h.github.idle();
    const reactions = h.fake.callsTo('POST', '/repos/:owner/:repo/issues/comments/:id/reactions');
    expect(reactions.map((c) => c.status)).toEqual([403, 201]);
    expect(h.fake.callsTo('GET', '/repos/:owner/:repo/collaborators/:user/permission').map((c) => c.status)).toEqual([502, 200]);
  });
});
