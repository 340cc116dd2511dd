import { apiHarnessPerTest } from './harness.js';

describe("API: team follow-ups on a teammate's agent", () => {
  const h = apiHarnessPerTest();

  const setPolicy = async (teamFollowUps: 'owner' | 'everyone') =>
    h.stores.settings.set('api', { ...(await h.stores.settings.get('api')), teamFollowUps });

  test('with teamFollowUps=everyone a teammate follows up on and stops the agent, as in a Slack thread', async () => {
    await setPolicy('everyone');
    const id = await h.launch(h.keys.alice);
    const followUp = await h.call('POST', `/v0/agents/${id}/followup`, { key: h.keys.bob, body: { prompt: { text: 'also cover Safari' } } });
    expect(followUp.status).toBe(200);
    expect(followUp.json).toMatchObject({ id, resumed: false, position: 1 });
    const events = await h.stores.events.read(id);
    expect(events.some((e) => e.type === 'follow_up' && e.text === 'also cover Safari' && e.author.id === 'bob')).toBe(true);
    const stop = await h.call('POST', `/v0/agents/${id}/stop`, { key: h.keys.bob });
    expect(stop.status).toBe(200);
    expect((await h.agents.get(id))?.status).toBe('stopped');
  });

  test('with teamFollowUps=owner the teammate still gets 404 and nothing reaches the agent', async () => {
    await setPolicy('owner');
    const id = await h.launch(h.keys.alice);
    expect((await h.call('POST', `/v0/agents/${id}/followup`, { key: h.keys.bob, body: { prompt: { text: 'hi' } } })).status).toBe(404);
    expect((await h.call('POST', `/v0/agents/${id}/stop`, { key: h.keys.bob })).status).toBe(404);
    expect((await h.stores.events.read(id)).some((e) => e.type === 'follow_up')).toBe(false);
    expect((await h.agents.get(id))?.status).toBe('queued');
  });
});
