import { ErrandError, type Principal } from '../../src/core/index.js';
import { waitFor } from '../support/wait.js';
import { coreHarness, slackThread, slackUser, type CoreHarness } from '../support/core.js';

async function refusal(promise: Promise<unknown>): Promise<ErrandError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ErrandError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('agent service use cases', () => {
  let h: CoreHarness;
  const owner = slackUser('UOWNER');
  const teammate = slackUser('UMATE');
  beforeEach(async () => {
    h = await coreHarness();
  });
  afterEach(() => h.close());

  const launch = (text: string, principal: Principal = owner) =>
    h.service.launch({ principal, workspace: 'T1', conversation: slackThread(), text });

  it('stores a launched agent as queued with defaults filled and enqueues its run', async () => {
    await h.stores.settings.set('T1', { ...(await h.stores.settings.get('T1')), defaultRepo: 'acme/web', baseBranch: 'develop' });
    const { agent } = await launch('fix the flaky login test');
    expect(agent).toMatchObject({ status: 'queued', repo: { fullName: 'acme/web' }, baseBranch: 'develop', model: 'openai:test-model', mode: 'agent', autoPr: true });
    expect(agent.branch).toMatch(/^errand\/fix-the-flaky-login-test-[0-9a-z]{6}$/);
    expect(await h.queue.queue.getJob(agent.id)).toBeDefined();
    expect((await h.stores.events.read(agent.id)).map((e) => e.type)).toEqual(['status']);
  });

  it('uses the channel default repo over the workspace default', async () => {
    await h.stores.settings.set('T1', { ...(await h.stores.settings.get('T1')), defaultRepo: 'acme/web', channelRepos: { C1: 'acme/api' } });
    expect((await launch('do it')).agent.repo?.fullName).toBe('acme/api');
  });

  it('asks for a repository when none is given or configured', async () => {
    expect((await refusal(launch('fix it'))).message).toContain('which repository');
  });

  it('checks every one of several repositories, caps them at 20 and refuses one named twice', async () => {
    const many = Array.from({ length: 21 }, (_, i) => `acme/r${i}`).join(',');
    expect((await refusal(launch(`repo=${many} add it`))).message).toBe('at most 20 repositories in one agent (21 given)');
    expect((await refusal(launch('repo=acme/api,/srv/secret add it'))).code).toBe('forbidden');
    expect((await refusal(launch('repo=acme/api,https://x:y@git.example.com/a/b add it'))).message).toContain('must not carry credentials');
    const twice = await refusal(launch('repo=acme/api,acme/web,Acme/API add it'));
    expect(twice).toMatchObject({ code: 'invalid_request', message: 'repository Acme/API is named twice: name each repository once' });
    expect((await h.service.list({ limit: 5 })).agents).toHaveLength(0);
  });

  it('records the other repositories of a launch with a folder each: the name, or owner-name when two share it', async () => {
    const twenty = ['acme/api', 'acme/web', 'other/web', ...Array.from({ length: 17 }, (_, i) => `acme/r${i}`)];
    const { agent } = await launch(`repo=${twenty.join(',')} add the field everywhere`);
    expect(agent.repo?.fullName).toBe('acme/api');
    expect(agent.extraRepos?.slice(0, 3)).toEqual([
      { repo: { url: 'acme/web', fullName: 'acme/web' }, path: 'acme-web', prUrl: null, prNumber: null },
      { repo: { url: 'other/web', fullName: 'other/web' }, path: 'other-web', prUrl: null, prNumber: null },
      { repo: { url: 'acme/r0', fullName: 'acme/r0' }, path: 'r0', prUrl: null, prNumber: null },
    ]);
    expect(agent.extraRepos).toHaveLength(19);
    expect((await h.service.require(agent.id)).extraRepos).toEqual(agent.extraRepos);
    expect((await launch('repo=acme/api fix it')).agent.extraRepos).toBeUndefined();
  });

  it('switches a plan to agent mode with a follow-up and keeps the PR default for the agent run', async () => {
    const { agent } = await h.service.launch({ principal: owner, workspace: 'T1', conversation: slackThread(), text: 'repo=acme/web mode=plan plan the field' });
    expect(agent).toMatchObject({ mode: 'plan', autoPr: true });
    await h.service.transition(agent.id, 'preparing');
    await h.service.transition(agent.id, 'running');
    await h.service.transition(agent.id, 'finished');
    const { resumed } = await h.service.followUp(agent.id, owner, 'mode=agent', slackThread());
    expect(resumed).toBe(true);
    expect((await h.service.require(agent.id)).mode).toBe('agent');
    const [followUp] = await h.stores.inbox.drain(agent.id);
    expect(followUp?.text).toBe('(Mode is now agent. You may edit files now: carry out the plan you wrote unless told otherwise.)\nCarry out the plan.');
  });

  it('refuses an empty prompt with an example', async () => {
    const error = await refusal(launch('repo=a/b'));
    expect(error.code).toBe('empty_prompt');
  });

  it('refuses people outside the allowlist', async () => {
    await h.stores.settings.set('T1', { ...(await h.stores.settings.get('T1')), allowlist: ['UOWNER'] });
    expect((await refusal(launch('repo=a/b go', teammate))).code).toBe('forbidden');
    expect((await launch('repo=a/b go')).agent.status).toBe('queued');
  });

  it('puts a follow-up to a busy agent in its inbox with its position', async () => {
    const { agent } = await launch('repo=a/b first task');
    await h.service.transition(agent.id, 'preparing');
    const first = await h.service.followUp(agent.id, owner, 'also the signup test', slackThread());
    const second = await h.service.followUp(agent.id, teammate, 'and docs', slackThread());
    expect([first.resumed, first.position, second.position]).toEqual([false, 1, 2]);
    expect((await h.stores.inbox.drain(agent.id)).map((f) => f.text)).toEqual(['also the signup test', 'and docs']);
  });

  it('resumes a finished agent with a follow-up', async () => {
    const { agent } = await launch('repo=a/b first task');
    await h.service.transition(agent.id, 'preparing');
    await h.service.transition(agent.id, 'running');
    await h.service.transition(agent.id, 'finished');
    const result = await h.service.followUp(agent.id, owner, 'one more thing', slackThread());
    expect(result.resumed).toBe(true);
    expect(result.agent.status).toBe('queued');
    const jobs = await h.queue.queue.getJobs(['waiting']);
    expect(jobs.map((j) => j.name).sort()).toEqual(['resume', 'run']);
  });

  it('follows the team follow-ups setting', async () => {
    const { agent } = await launch('repo=a/b task');
    await h.stores.settings.set('T1', { ...(await h.stores.settings.get('T1')), teamFollowUps: 'owner' });
    expect((await refusal(h.service.followUp(agent.id, teammate, 'hi', slackThread()))).code).toBe('forbidden');
    await h.stores.settings.set('T1', { ...(await h.stores.settings.get('T1')), teamFollowUps: 'service_accounts', serviceAccounts: ['UBOT'] });
    expect((await refusal(h.service.followUp(agent.id, teammate, 'hi', slackThread()))).code).toBe('forbidden');
    expect((await h.service.followUp(agent.id, slackUser('UBOT'), 'hi', slackThread())).position).toBe(1);
    await h.stores.settings.set('T1', { ...(await h.stores.settings.get('T1')), teamFollowUps: 'everyone' });
    expect((await h.service.followUp(agent.id, teammate, 'hi', slackThread())).position).toBe(2);
  });

  it('stops a queued agent at once and removes its job', async () => {
    const { agent } = await launch('repo=a/b task');
    const stopped = await h.service.stop(agent.id, owner);
    expect(stopped.status).toBe('stopped');
    expect(await h.queue.queue.getJob(agent.id)).toBeUndefined();
  });

  it('signals a running agent to stop', async () => {
    const { agent } = await launch('repo=a/b task');
    await h.service.transition(agent.id, 'preparing');
    // A live worker holds the agent's run lease.
    await h.stores.runLeases.acquire(agent.id, 60_000);
    const signalled: string[] = [];
    const unsubscribe = await h.stores.stops.onStop((id) => signalled.push(id));
    await h.service.stop(agent.id, owner);
    await waitFor(() => signalled.length === 1, { what: 'the stop signal' });
    await unsubscribe();
    expect(signalled).toEqual([agent.id]);
    expect((await h.stores.events.read(agent.id)).some((e) => e.type === 'milestone' && e.name === 'stop_requested')).toBe(true);
  });

  it('stops a running agent whose worker is gone at once, and leaves its work to a salvage job', async () => {
    const { agent } = await launch('repo=a/b task');
    await h.service.transition(agent.id, 'preparing');
    await h.service.transition(agent.id, 'running');
    const stopped = await h.service.stop(agent.id, owner);
    expect(stopped.status).toBe('stopped');
    const jobs = await h.queue.queue.getJobs(['waiting']);
    expect(jobs.map((job) => [job.name, job.data])).toEqual([['salvage', { agentId: agent.id }]]);
    const last = (await h.stores.events.read(agent.id)).at(-1);
    expect(last).toMatchObject({ type: 'status', status: 'stopped' });
  });

  it('links a second conversation so mentions there find the agent', async () => {
    const { agent } = await launch('repo=a/b task');
    const pr = { kind: 'github', installationId: 1, repo: 'a/b', number: 7, isPullRequest: true } as const;
    await h.service.addConversation(agent.id, pr);
    expect((await h.service.findByConversation(pr))?.id).toBe(agent.id);
    expect((await h.service.require(agent.id)).conversations).toHaveLength(2);
  });

  it('reports how many runs wait ahead when over the concurrency limit', async () => {
    await h.stores.settings.set('T1', { ...(await h.stores.settings.get('T1')), maxConcurrentPerPerson: 1 });
    expect((await launch('repo=a/b one')).queuedBehind).toBe(0);
    expect((await launch('repo=a/b two')).queuedBehind).toBe(1);
  });
});
