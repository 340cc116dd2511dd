import { apiHarness, readSse, type ApiHarness } from './harness.js';

describe('HTTP API v0: live events over SSE', () => {
  let h: ApiHarness;
  beforeAll(async () => {
    h = await apiHarness({ heartbeatMs: 100 });
  });
  afterAll(async () => {
    await h.close();
  });

  const stream = (id: string, init: { query?: string; headers?: Record<string, string> } = {}) =>
    fetch(`${h.url}/v0/agents/${id}/events${init.query ?? ''}`, { headers: { authorization: `Bearer ${h.keys.alice}`, ...init.headers } });

  it('streams events live with id, type and data, sends heartbeats, and ends once the agent has finished', async () => {
    const id = await h.launch(h.keys.alice);
    const response = await stream(id);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const reading = readSse(response);
    await h.drive(id, 'preparing', 'running', { type: 'model_message', text: 'On it.' });
    await h.drive(id, { type: 'summary', text: 'Fixed the race in login.', branch: 'errand/x', prUrl: null, diffstat: null }, 'finished');
    const { events, raw, ended } = await reading;
    expect(ended).toBe(true);
    expect(events.map((e) => (e.event === 'status' ? `status:${String(e.data['apiStatus'])}` : e.event))).toEqual([
      'status:CREATING', 'status:CREATING', 'status:RUNNING', 'model_message', 'summary', 'status:FINISHED', 'end',
    ]);
    expect(events[0]?.id).toMatch(/^\d+-\d+$/);
    expect(events[3]?.data).toMatchObject({ type: 'model_message', text: 'On it.' });
    expect(events.at(-1)?.data).toMatchObject({ id, status: 'FINISHED' });
    expect(raw).toMatch(/^retry: \d+/);
  });

  it('sends heartbeats while an agent is quiet', async () => {
    const id = await h.launch(h.keys.alice);
    const { raw } = await readSse(await stream(id), (_events, text) => text.includes(': heartbeat'));
    expect(raw).toContain(': heartbeat\n\n');
  });

  it('resumes after Last-Event-ID or ?after=, sending only later events', async () => {
    const id = await h.launch(h.keys.alice);
    await h.drive(id, 'preparing', 'running', { type: 'model_message', text: 'one' }, { type: 'model_message', text: 'two' }, 'finished');
    const all = await h.stores.events.read(id);
    const one = all.find((e) => e.type === 'model_message' && e.text === 'one')!;
    const viaHeader = await readSse(await stream(id, { headers: { 'last-event-id': one.id } }));
    expect(viaHeader.events.map((e) => e.event)).toEqual(['model_message', 'status', 'end']);
    expect(viaHeader.events[0]?.data['text']).toBe('two');
    const viaQuery = await readSse(await stream(id, { query: `?after=${one.id}` }));
    expect(viaQuery.events.map((e) => e.id)).toEqual(viaHeader.events.map((e) => e.id));
    expect((await h.call('GET', `/v0/agents/${id}/events?after=yesterday`)).json.error).toMatchObject({ field: 'after' });
  });

  it('keeps streaming through a finish when asked to follow always, and sends the backlog only with follow=never', async () => {
    const id = await h.launch(h.keys.alice);
    await h.drive(id, 'preparing', 'running');
    const backlog = await readSse(await stream(id, { query: '?follow=never' }));
    expect(backlog.events.map((e) => e.event)).toEqual(['status', 'status', 'status', 'end']);
    const response = await stream(id, { query: '?follow=always' });
    const reading = readSse(response, (events) => events.some((e) => e.event === 'follow_up'));
    await h.drive(id, 'finished');
    await h.call('POST', `/v0/agents/${id}/followup`, { body: { prompt: { text: 'one more thing' } } });
    const { events } = await reading;
    expect(events.map((e) => e.event)).not.toContain('end');
    expect(events.filter((e) => e.event === 'status').map((e) => e.data['apiStatus'])).toEqual(['CREATING', 'CREATING', 'RUNNING', 'FINISHED']);
  });

  it('scrubs tokens from streamed events', async () => {
    const id = await h.launch(h.keys.alice);
    await h.drive(id, 'preparing', 'running', { type: 'log', phase: 'install', stream: 'stdout', text: 'auth https://user:hunter2@example.com and xoxb-1234567890-abcdef' }, 'failed');
    const { events } = await readSse(await stream(id));
    const log = events.find((e) => e.event === 'log');
    expect(log?.data['text']).toBe('auth https://[redacted]@example.com and [redacted]');
  });
});

describe('HTTP API v0: settings, secrets and audit (admins)', () => {
  let h: ApiHarness;
  beforeAll(async () => {
    h = await apiHarness();
  });
  afterAll(async () => {
    await h.close();
  });

  it('lets only admins read and change settings, naming refused fields', async () => {
    const denied = await h.call('GET', '/v0/settings');
    expect(denied.status).toBe(403);
    expect(denied.json.error?.message).toContain('--admin');
    expect((await h.call('PATCH', '/v0/settings', { body: { defaultRepo: 'acme/web' } })).status).toBe(403);
    const read = await h.call('GET', '/v0/settings', { key: h.keys.admin });
    expect(read.json).toMatchObject({ workspace: 'api', settings: { defaultRepo: '', teamFollowUps: 'everyone', networkAgent: 'full' }, networkInEffect: "full, through Errand's egress proxy" });
    const bad = await h.call('PATCH', '/v0/settings', { key: h.keys.admin, body: { colour: 'red', retentionDays: 'ten' } });
    expect(bad.status).toBe(400);
    expect(bad.json.error).toMatchObject({ code: 'invalid_request', field: 'colour,retentionDays' });
    const wide = await h.call('PATCH', '/v0/settings', { key: h.keys.admin, body: { networkAllowlist: ['*.com'] } });
    expect(wide.status).toBe(400);
    expect(JSON.stringify(wide.json)).toContain('covers a whole public suffix');
    const network = await h.call('PATCH', '/v0/settings', { key: h.keys.admin, body: { networkAgent: 'allowlist', networkAllowlist: ['preset:package-registries'] } });
    expect(network.json).toMatchObject({ changed: ['networkAgent', 'networkAllowlist'], networkInEffect: expect.stringMatching(/^install full, agent allowlist \(\d+ domains\), through Errand's egress proxy$/) });
    const changed = await h.call('PATCH', '/v0/settings', { key: h.keys.admin, body: { defaultRepo: 'acme/web' } });
    expect(changed.json).toMatchObject({ changed: ['defaultRepo'], settings: { defaultRepo: 'acme/web' } });
    // The default repo now fills in for launches that name none.
    const launched = await h.call('POST', '/v0/agents', { body: { prompt: { text: 'fix it' } } });
    expect(launched.json['source']).toEqual({ repository: 'acme/web', ref: null });
  });

  it('lets admins set, list (names only) and remove secrets', async () => {
    expect((await h.call('GET', '/v0/secrets')).status).toBe(403);
    expect((await h.call('PUT', '/v0/secrets/NPM_TOKEN', { body: { value: 'npm_supersecretvalue' } })).status).toBe(403);
    const set = await h.call('PUT', '/v0/secrets/NPM_TOKEN', { key: h.keys.admin, body: { value: 'npm_supersecretvalue', availableToInstall: true } });
    expect(set.status).toBe(200);
    expect(set.json).toMatchObject({ name: 'NPM_TOKEN', availableToInstall: true });
    await h.call('PUT', '/v0/secrets/DB_URL', { key: h.keys.admin, body: { value: 'postgres://x', repo: 'acme/web' } });
    const list = await h.call('GET', '/v0/secrets', { key: h.keys.admin });
    expect((list.json['secrets'] as { name: string }[]).map((s) => s.name)).toEqual(['NPM_TOKEN']);
    expect(JSON.stringify(list.json)).not.toContain('supersecret');
    const repoList = await h.call('GET', '/v0/secrets?repo=acme/web', { key: h.keys.admin });
    expect((repoList.json['secrets'] as { name: string }[]).map((s) => s.name)).toEqual(['DB_URL']);
    expect((await h.call('GET', '/v0/secrets/NPM_TOKEN', { key: h.keys.admin })).json).toMatchObject({ name: 'NPM_TOKEN' });
    const badName = await h.call('PUT', '/v0/secrets/npm-token', { key: h.keys.admin, body: { value: 'x' } });
    expect(badName.status).toBe(400);
    const noValue = await h.call('PUT', '/v0/secrets/NPM_TOKEN', { key: h.keys.admin, body: {} });
    expect(noValue.json.error).toMatchObject({ field: 'value' });
    expect((await h.call('DELETE', '/v0/secrets/NPM_TOKEN', { key: h.keys.admin })).json).toEqual({ name: 'NPM_TOKEN', removed: true });
    expect((await h.call('DELETE', '/v0/secrets/NPM_TOKEN', { key: h.keys.admin })).status).toBe(404);
  });

  it('shows admins the audit log of launches, setting and secret changes', async () => {
    expect((await h.call('GET', '/v0/audit')).status).toBe(403);
    await h.call('PATCH', '/v0/settings', { key: h.keys.admin, body: { maxConcurrentPerPerson: 5 } });
    const audit = await h.call('GET', '/v0/audit?limit=100', { key: h.keys.admin });
    const entries = audit.json['entries'] as { action: string; actor: string; target: string[] }[];
    expect(entries[0]).toMatchObject({ action: 'settings.update', actor: 'api:api:root', target: ['maxConcurrentPerPerson'] });
    expect(entries.map((e) => e.action)).toEqual(expect.arrayContaining(['agent.launch', 'secret.set', 'secret.remove']));
    const page = await h.call('GET', '/v0/audit?limit=1', { key: h.keys.admin });
    const next = await h.call('GET', `/v0/audit?limit=1&before=${String(page.json['nextCursor'])}`, { key: h.keys.admin });
    expect((next.json['entries'] as { action: string }[])[0]?.action).toBe(entries[1]?.action);
  });
});

describe('HTTP API v0 without a master key', () => {
  let h: ApiHarness;
  beforeAll(async () => {
    h = await apiHarness({ masterKey: false });
  });
  afterAll(async () => {
    await h.close();
  });

  it('refuses webhook secrets and secret storage with a fix-it message, and still takes unsigned webhooks', async () => {
    const signed = await h.call('POST', '/v0/agents', {
      body: { prompt: { text: 'x' }, source: { repository: 'acme/web' }, webhook: { url: 'https://hooks.example.com/errand', secret: 's'.repeat(32) } },
    });
    expect(signed.status).toBe(503);
    expect(signed.json.error).toMatchObject({ code: 'not_configured' });
    expect(signed.json.error?.message).toContain('ERRAND_MASTER_KEY');
    const unsigned = await h.call('POST', '/v0/agents', { body: { prompt: { text: 'x' }, source: { repository: 'acme/web' }, webhook: { url: 'https://hooks.example.com/errand' } } });
    expect(unsigned.status).toBe(201);
    const secret = await h.call('PUT', '/v0/secrets/NPM_TOKEN', { key: h.keys.admin, body: { value: 'npm_supersecretvalue' } });
    expect(secret.status).toBe(503);
    expect(secret.json.error?.message).toContain('ERRAND_MASTER_KEY');
  });
});
