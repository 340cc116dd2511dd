import { apiHarness, type ApiHarness } from './harness.js';

const launchOn = (repository: string) => ({ body: { prompt: { text: 'read the secrets' }, source: { repository } } });

describe('API: repositories on the server itself', () => {
  let h: ApiHarness;
  afterEach(async () => {
    await h.close();
  });

  test('a path or file:// URL is refused for every key while the server has not opted in', async () => {
    h = await apiHarness();
    for (const repository of ['/srv/app', 'file:///srv/app', '/etc/../srv/app/.git']) {
      for (const key of [h.keys.alice, h.keys.admin]) {
        const reply = await h.call('POST', '/v0/agents', { key, ...launchOn(repository) });
        expect(reply.status).toBe(403);
        expect(reply.json.error).toMatchObject({ code: 'forbidden', message: expect.stringContaining('ERRAND_LOCAL_REPOS=allow') });
      }
    }
    expect((await h.agents.list({ workspace: 'api' })).agents).toEqual([]);
  });

  test('with ERRAND_LOCAL_REPOS=allow only an admin key may launch on a local repository', async () => {
    h = await apiHarness({ localRepos: true });
    const refused = await h.call('POST', '/v0/agents', { key: h.keys.alice, ...launchOn('/srv/app') });
    expect(refused.status).toBe(403);
    const allowed = await h.call('POST', '/v0/agents', { key: h.keys.admin, ...launchOn('/srv/app') });
    expect(allowed.status).toBe(201);
    expect(allowed.json['source']).toMatchObject({ repository: '/srv/app' });
  });

  test('a default repository set to a local path is refused the same way', async () => {
    h = await apiHarness();
    await h.stores.settings.set('api', { ...(await h.stores.settings.get('api')), defaultRepo: 'file:///srv/app' });
    const reply = await h.call('POST', '/v0/agents', { key: h.keys.admin, body: { prompt: { text: 'anything' } } });
    expect(reply.status).toBe(403);
  });
});
