import { describe, expect, it } from '@jest/globals';
import { apiHarnessPerTest } from './harness.js';

const h = apiHarnessPerTest();

describe('an agent archived through v1, seen through v0', () => {
  it('refuses v0 follow-ups with the same code as v1 until it is unarchived', async () => {
    const id = await h.launch(h.keys.alice);
    await h.drive(id, 'preparing', 'running', 'finished');
    expect((await h.call('POST', `/v1/agents/${id}/archive`)).status).toBe(200);

    const refused = await h.call('POST', `/v0/agents/${id}/followup`, { body: { prompt: { text: 'one more thing' } } });
    expect(refused.status).toBe(409);
    expect(refused.json).toEqual({ error: { code: 'agent_archived', message: `agent ${id} is archived: unarchive it (POST /v1/agents/${id}/unarchive) to give it new prompts` } });
    expect((await h.agents.require(id)).status).toBe('finished');
    const v1 = await h.call('POST', `/v1/agents/${id}/runs`, { body: { prompt: { text: 'one more thing' } } });
    expect(v1.status).toBe(409);
    expect(v1.json['code']).toBe('agent_archived');

    expect((await h.call('POST', `/v1/agents/${id}/unarchive`)).status).toBe(200);
    const resumed = await h.call('POST', `/v0/agents/${id}/followup`, { body: { prompt: { text: 'one more thing' } } });
    expect(resumed.status).toBe(200);
    expect(resumed.json).toMatchObject({ id, resumed: true });
  });

  it('is left out of v0 lists unless includeArchived=true', async () => {
    const kept = await h.launch(h.keys.alice);
    const archived = await h.launch(h.keys.alice);
    expect((await h.call('POST', `/v1/agents/${archived}/archive`)).status).toBe(200);

    const ids = async (query = '') => ((await h.call('GET', `/v0/agents${query}`)).json['agents'] as { id: string }[]).map((a) => a.id);
    expect(await ids()).toEqual([kept]);
    expect(await ids('?includeArchived=true')).toEqual([archived, kept]);
    expect(await ids('?includeArchived=false')).toEqual([kept]);
    // Reading it directly still works.
    expect((await h.call('GET', `/v0/agents/${archived}`)).status).toBe(200);
    const bad = await h.call('GET', '/v0/agents?includeArchived=yes');
    expect(bad.status).toBe(400);
    expect(bad.json.error?.field).toBe('includeArchived');
  });
});
