import { coreHarness, slackThread, slackUser, type CoreHarness } from '../support/core.js';

describe('a follow-up with a request id is queued once', () => {
  let h: CoreHarness;
  const owner = slackUser('UOWNER');
  beforeEach(async () => {
    h = await coreHarness();
  });
  afterEach(() => h.close());

  const launched = async () => (await h.service.launch({ principal: owner, workspace: 'T1', conversation: slackThread(), text: 'repo=acme/web fix it' })).agent;
  const followUps = async (agentId: string) => (await h.stores.events.read(agentId)).filter((e) => e.type === 'follow_up');

  it('queues, records and audits a retried delivery once, and says it was a duplicate', async () => {
    const agent = await launched();
    const first = await h.service.followUp(agent.id, owner, 'also the signup test', slackThread(), false, { requestId: 'slack:Ev1' });
    const again = await h.service.followUp(agent.id, owner, 'also the signup test', slackThread(), false, { requestId: 'slack:Ev1' });
    const other = await h.service.followUp(agent.id, owner, 'and the docs', slackThread(), false, { requestId: 'slack:Ev2' });
    expect(first).toMatchObject({ resumed: false, position: 1 });
    expect(first.duplicate).toBeUndefined();
    expect(again).toMatchObject({ resumed: false, position: 1, duplicate: true });
    expect(other).toMatchObject({ position: 2 });
    expect((await h.stores.inbox.drain(agent.id)).map((f) => f.text)).toEqual(['also the signup test', 'and the docs']);
    expect(await followUps(agent.id)).toHaveLength(2);
    // Once read by the agent, the same delivery again still queues nothing.
    expect(await h.service.followUp(agent.id, owner, 'also the signup test', slackThread(), false, { requestId: 'slack:Ev1' })).toMatchObject({ duplicate: true, position: 0 });
    expect(await h.stores.inbox.size(agent.id)).toBe(0);
  });

  it('resumes a finished agent when the first delivery queued the follow-up but died before resuming it', async () => {
    const agent = await launched();
    for (const status of ['preparing', 'running', 'finished'] as const) await h.service.transition(agent.id, status);
    // What the first attempt did before it died: the follow-up is in the inbox, the agent still finished.
    await h.stores.inbox.push(agent.id, { author: owner, text: 'now the docs', source: 'slack', at: new Date().toISOString() }, 'slack:Ev9');
    const retried = await h.service.followUp(agent.id, owner, 'now the docs', slackThread(), false, { requestId: 'slack:Ev9' });
    expect(retried).toMatchObject({ resumed: true, duplicate: true, position: 1 });
    expect((await h.service.require(agent.id)).status).toBe('queued');
    expect(await h.stores.inbox.size(agent.id)).toBe(1);
  });

  it('does not resume a finished agent for a delivery it already ran', async () => {
    const agent = await launched();
    for (const status of ['preparing', 'running', 'finished'] as const) await h.service.transition(agent.id, status);
    expect((await h.service.followUp(agent.id, owner, 'now the docs', slackThread(), false, { requestId: 'slack:Ev3' })).resumed).toBe(true);
    for (const status of ['preparing', 'running'] as const) await h.service.transition(agent.id, status);
    await h.stores.inbox.drain(agent.id);
    await h.service.transition(agent.id, 'finished');
    const again = await h.service.followUp(agent.id, owner, 'now the docs', slackThread(), false, { requestId: 'slack:Ev3' });
    expect(again).toMatchObject({ resumed: false, duplicate: true, position: 0 });
    expect((await h.service.require(agent.id)).status).toBe('finished');
  });
});
