import { apiHarness, type ApiHarness } from './harness.js';

describe('HTTP API v0: agents', () => {
  let h: ApiHarness;
  beforeAll(async () => {
    h = await apiHarness();
  });
  afterAll(async () => {
    await h.close();
  });

  it('refuses requests without a key, or with a wrong one, with 401 and how to get a key', async () => {
    const none = await h.call('GET', '/v0/agents', { key: null });
    expect(none.status).toBe(401);
    expect(none.json.error).toMatchObject({ code: 'unauthorized' });
    expect(none.json.error?.message).toContain('errand keys create');
    expect(none.headers.get('www-authenticate')).toContain('Bearer');
    const wrong = await h.call('GET', '/v0/agents', { key: `err_${'x'.repeat(40)}` });
    expect(wrong.status).toBe(401);
    expect(wrong.json.error?.message).toContain('not valid');
    const revoked = await h.api.keys.create({ name: 'temp' });
    expect((await h.call('GET', '/v0/me', { key: revoked.key })).status).toBe(200);
    await h.api.keys.revoke('temp');
    expect((await h.call('GET', '/v0/me', { key: revoked.key })).status).toBe(401);
  });

  it('launches an agent that shows as CREATING with its source and target, like Cursor', async () => {
    const reply = await h.call('POST', '/v0/agents', {
      body: { prompt: { text: 'Add a README with install steps' }, source: { repository: 'acme/web', ref: 'main' }, target: { autoCreatePr: false, branchName: 'feature/readme' }, model: 'openai:test-large' },
    });
    expect(reply.status).toBe(201);
    expect(reply.json).toMatchObject({
      name: 'Add a README with install steps',
      status: 'CREATING',
      source: { repository: 'acme/web', ref: 'main' },
      target: { branchName: 'feature/readme', autoCreatePr: false, prUrl: null },
      model: 'openai:test-large',
      mode: 'agent',
      owner: { id: 'alice' },
    });
    const id = reply.json['id'] as string;
    const got = await h.call('GET', `/v0/agents/${id}`);
    expect(got.status).toBe(200);
    expect(got.json).toMatchObject({ id, status: 'CREATING', errandStatus: 'queued' });
    expect((got.json['target'] as { url: string }).url).toBe(`${h.url}/agents/${id}`);
    expect((got.json['links'] as { events: string }).events).toBe(`${h.url}/v0/agents/${id}/events`);
  });

  it('takes the prompt verbatim: option-like words stay in it', async () => {
    const reply = await h.call('POST', '/v0/agents', { body: { prompt: { text: 'set branch=main as default and base=dev' }, source: { repository: 'acme/web' } } });
    expect(reply.status).toBe(201);
    const agent = await h.agents.require(reply.json['id'] as string);
    expect(agent.prompt).toBe('set branch=main as default and base=dev');
    expect(agent.baseBranch).toBeNull();
  });

  it.each([
    [{}, 'prompt'],
    [{ prompt: {} }, 'prompt.text'],
    [{ prompt: { text: '   ' } }, 'prompt.text'],
    [{ prompt: { text: 'x', images: [{ data: 'iVBOR' }] } }, 'prompt.images'],
    [{ prompt: { text: 'x' }, source: { repository: 'not a repo' } }, 'source.repository'],
    [{ prompt: { text: 'x' }, source: { repository: 'acme/web', ref: '../evil' } }, 'source.ref'],
    [{ prompt: { text: 'x' }, source: { repository: 'acme/web' }, target: { branchName: '-rf' } }, 'target.branchName'],
    [{ prompt: { text: 'x' }, source: { repository: 'acme/web' }, target: { autoCreatePr: 'yes' } }, 'target.autoCreatePr'],
    [{ prompt: { text: 'x' }, source: { repository: 'acme/web' }, model: 'nosuch:model' }, 'model'],
    [{ prompt: { text: 'x' }, source: { repository: 'acme/web' }, mode: 'chat' }, 'mode'],
    [{ prompt: { text: 'x' }, source: { repository: 'acme/web' }, webhook: { url: 'http://example.com/hook' } }, 'webhook.url'],
    [{ prompt: { text: 'x' }, source: { repository: 'acme/web' }, webhook: { url: 'https://169.254.169.254/latest' } }, 'webhook.url'],
    [{ prompt: { text: 'x' }, source: { repository: 'acme/web' }, webhook: { url: 'https://10.0.0.5/hook' } }, 'webhook.url'],
    [{ prompt: { text: 'x' }, source: { repository: 'acme/web' }, webhook: { url: 'https://example.com/hook', secret: 'short' } }, 'webhook.secret'],
  ])('refuses a bad launch body with 400 naming the field (%j → %s)', async (body, field) => {
    const reply = await h.call('POST', '/v0/agents', { body });
    expect(reply.status).toBe(400);
    expect(reply.json.error).toMatchObject({ code: 'invalid_request', field });
    expect(reply.json.error?.message).toContain(field);
  });

  it('refuses a launch without any repository in agent mode, saying how to name one', async () => {
    const reply = await h.call('POST', '/v0/agents', { body: { prompt: { text: 'fix it' } } });
    expect(reply.status).toBe(400);
    expect(reply.json.error?.message).toContain('repo=owner/name');
    const ask = await h.call('POST', '/v0/agents', { body: { prompt: { text: 'what does this do?' }, mode: 'ask' } });
    expect(ask.status).toBe(201);
  });

  it('refuses bodies that are not JSON (400) or larger than 1 MB (413)', async () => {
    const bad = await h.call('POST', '/v0/agents', { raw: '{"prompt":' });
    expect(bad.status).toBe(400);
    expect(bad.json.error?.code).toBe('invalid_json');
    const huge = await h.call('POST', '/v0/agents', { body: { prompt: { text: 'x'.repeat(1_100_000) } } });
    expect(huge.status).toBe(413);
    expect(huge.json.error?.code).toBe('payload_too_large');
  });

  it('answers 404 for unknown agents and for other people’s agents, and shows them to admins', async () => {
    for (const [method, path] of [
      ['GET', '/v0/agents/ag_000000000000'],
      ['GET', '/v0/agents/ag_000000000000/conversation'],
      ['GET', '/v0/agents/ag_000000000000/events'],
      ['POST', '/v0/agents/ag_000000000000/followup'],
      ['POST', '/v0/agents/ag_000000000000/stop'],
      ['DELETE', '/v0/agents/ag_000000000000'],
    ] as const) {
      const reply = await h.call(method, path, method === 'POST' ? { body: { prompt: { text: 'hi' } } } : {});
      expect([method, path, reply.status]).toEqual([method, path, 404]);
      expect(reply.json.error?.code).toBe('not_found');
    }
    const id = await h.launch(h.keys.alice);
    expect((await h.call('GET', `/v0/agents/${id}`, { key: h.keys.bob })).status).toBe(404);
    expect((await h.call('POST', `/v0/agents/${id}/stop`, { key: h.keys.bob })).status).toBe(404);
    expect((await h.call('GET', `/v0/agents/${id}`, { key: h.keys.admin })).status).toBe(200);
    const bobs = await h.call('GET', '/v0/agents', { key: h.keys.bob });
    expect((bobs.json['agents'] as { id: string }[]).map((a) => a.id)).not.toContain(id);
    const admins = await h.call('GET', '/v0/agents?limit=100', { key: h.keys.admin });
    expect((admins.json['agents'] as { id: string }[]).map((a) => a.id)).toContain(id);
    expect((await h.call('GET', '/v0/nothing-here')).status).toBe(404);
  });

  it('maps statuses to Cursor’s names and filters, searches and pages the list', async () => {
    const { bob } = h.keys;
    const first = await h.launch(bob, { prompt: { text: 'upgrade the parser' }, source: { repository: 'acme/parser' } });
    const second = await h.launch(bob, { prompt: { text: 'document the lexer' }, source: { repository: 'acme/parser' } });
    const third = await h.launch(bob, { prompt: { text: 'tidy the css' }, source: { repository: 'acme/site' } });
    await h.drive(first, 'preparing', 'running');
    const statusOf = async (id: string) => (await h.call('GET', `/v0/agents/${id}`, { key: bob })).json['status'];
    expect(await statusOf(first)).toBe('RUNNING');
    await h.drive(second, 'preparing');
    expect(await statusOf(second)).toBe('CREATING');
    await h.drive(second, 'running', 'finished');
    expect(await statusOf(second)).toBe('FINISHED');
    await h.drive(third, 'failed');
    expect(await statusOf(third)).toBe('ERROR');

    const ids = async (query: string) => ((await h.call('GET', `/v0/agents?${query}`, { key: bob })).json['agents'] as { id: string }[]).map((a) => a.id);
    expect(await ids('status=RUNNING')).toEqual([first]);
    expect(await ids('status=FINISHED,error')).toEqual([third, second]);
    expect(await ids('repo=acme/site')).toEqual([third]);
    expect(await ids('q=lexer')).toEqual([second]);
    const page1 = await h.call('GET', '/v0/agents?limit=2', { key: bob });
    expect((page1.json['agents'] as unknown[]).length).toBe(2);
    const page2 = await h.call('GET', `/v0/agents?limit=2&cursor=${String(page1.json['nextCursor'])}`, { key: bob });
    expect((page2.json['agents'] as { id: string }[]).map((a) => a.id)).toContain(first);
    expect((await h.call('GET', '/v0/agents?status=SLEEPING', { key: bob })).json.error).toMatchObject({ field: 'status' });
    expect((await h.call('GET', '/v0/agents?limit=5000', { key: bob })).json.error).toMatchObject({ field: 'limit' });
  });

  it('shows the conversation: prompt, follow-ups and the model’s messages, with secrets scrubbed', async () => {
    const id = await h.launch(h.keys.alice);
    await h.drive(id, 'preparing', 'running', { type: 'model_message', text: 'Looking at the test now.' }, { type: 'tool_call', callId: 'c1', name: 'read', args: '{}' });
    await h.call('POST', `/v0/agents/${id}/followup`, { body: { prompt: { text: 'also check the logout test' } } });
    await h.drive(id, { type: 'model_message', text: 'Used token ghp_abcdefghijklmnopqrstuvwxyz0123456789AB to fetch' });
    const reply = await h.call('GET', `/v0/agents/${id}/conversation`);
    expect(reply.status).toBe(200);
    const messages = reply.json['messages'] as { type: string; text: string }[];
    expect(messages.map((m) => [m.type, m.text])).toEqual([
      ['user_message', 'fix the flaky login test'],
      ['assistant_message', 'Looking at the test now.'],
      ['user_message', 'also check the logout test'],
      ['assistant_message', 'Used token [redacted] to fetch'],
    ]);
  });

  it('takes a follow-up while running into the inbox, and resumes a finished agent with it', async () => {
    const id = await h.launch(h.keys.alice);
    await h.drive(id, 'preparing', 'running');
    const busy = await h.call('POST', `/v0/agents/${id}/followup`, { body: { prompt: { text: 'use the v2 client' } } });
    expect(busy.status).toBe(200);
    expect(busy.json).toMatchObject({ id, resumed: false, position: 1, status: 'RUNNING' });
    await h.drive(id, 'finished');
    const resumed = await h.call('POST', `/v0/agents/${id}/followup`, { body: { prompt: { text: 'now add a test' } } });
    expect(resumed.json).toMatchObject({ id, resumed: true, status: 'CREATING' });
    expect((await h.call('GET', `/v0/agents/${id}`)).json['status']).toBe('CREATING');
    const empty = await h.call('POST', `/v0/agents/${id}/followup`, { body: { prompt: { text: '' } } });
    expect(empty.json.error).toMatchObject({ code: 'invalid_request', field: 'prompt.text' });
  });

  it('stops a queued agent at once and asks a running one to stop', async () => {
    const queued = await h.launch(h.keys.alice);
    const stopped = await h.call('POST', `/v0/agents/${queued}/stop`);
    expect(stopped.json).toMatchObject({ id: queued, status: 'STOPPED' });
    const running = await h.launch(h.keys.alice);
    await h.drive(running, 'preparing', 'running');
    // A live worker runs it (it holds the agent's run lease), so the stop is a request to that worker.
    await h.stores.runLeases.acquire(running, 60_000);
    const asked = await h.call('POST', `/v0/agents/${running}/stop`);
    expect(asked.json).toMatchObject({ id: running, status: 'RUNNING' });
    const events = await h.stores.events.read(running);
    expect(events.some((e) => e.type === 'milestone' && e.name === 'stop_requested')).toBe(true);
  });

  it('stops a running agent whose worker is gone at once', async () => {
    const orphan = await h.launch(h.keys.alice);
    await h.drive(orphan, 'preparing', 'running');
    const stopped = await h.call('POST', `/v0/agents/${orphan}/stop`);
    expect(stopped.json).toMatchObject({ id: orphan, status: 'STOPPED' });
  });

  it('deletes an agent, stopping it first when it is active', async () => {
    const id = await h.launch(h.keys.alice);
    await h.drive(id, 'preparing', 'running');
    const reply = await h.call('DELETE', `/v0/agents/${id}`);
    expect(reply.json).toEqual({ id });
    expect((await h.call('GET', `/v0/agents/${id}`)).status).toBe(404);
    expect(await h.stores.events.read(id)).toEqual([]);
    const audit = await h.stores.audit.list('api');
    expect(audit.filter((e) => e.target.includes(id)).map((e) => e.action)).toEqual(['agent.delete', 'agent.stop', 'agent.launch']);
  });

  it('says who the key belongs to and which models it may use', async () => {
    const me = await h.call('GET', '/v0/me');
    expect(me.json).toMatchObject({ apiKeyName: 'alice', workspace: 'api', user: { id: 'alice', name: 'alice' }, admin: false });
    expect(typeof me.json['createdAt']).toBe('string');
    const models = await h.call('GET', '/v0/models');
    expect(models.json).toEqual({ models: ['openai:test-model', 'openai:test-large'], default: 'openai:test-model' });
  });
});
