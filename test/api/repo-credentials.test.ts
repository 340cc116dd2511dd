import { apiHarnessPerTest } from './harness.js';

const secret = 'ghp_S3cretTokenInTheUrl0123456789abcdefgh';
const urls = [`https://alice:${secret}@git.example.com/acme/web.git`, `https://${secret}@github.com/acme/web`, `https://x-access-token:${secret}@github.com/acme/web.git`];

describe('API: repository URLs with credentials', () => {
  const h = apiHarnessPerTest();

  test('are refused with where tokens belong, and the token is neither echoed nor stored', async () => {
    for (const repository of urls) {
      const reply = await h.call('POST', '/v0/agents', { key: h.keys.admin, body: { prompt: { text: 'fix it' }, source: { repository } } });
      expect(reply.status).toBe(400);
      expect(reply.json.error).toMatchObject({ code: 'invalid_request', field: 'source.repository', message: expect.stringContaining('ERRAND_GIT_TOKEN') });
      expect(JSON.stringify(reply.json)).not.toContain(secret);
      expect(JSON.stringify(reply.json)).not.toContain('alice:');
    }
    expect((await h.agents.list({ workspace: 'api' })).agents).toEqual([]);
    const stored = await h.redis.keys(`${h.prefix}*`);
    for (const key of stored) {
      const type = await h.redis.type(key);
      const value = type === 'string' ? await h.redis.get(key) : type === 'hash' ? JSON.stringify(await h.redis.hgetall(key)) : '';
      expect(value ?? '').not.toContain(secret);
    }
  });

  test('as a default repository or a channel repository they are refused and not saved', async () => {
    for (const body of [{ defaultRepo: urls[0] }, { channelRepos: { C1: urls[1] } }]) {
      const reply = await h.call('PATCH', '/v0/settings', { key: h.keys.admin, body });
      expect(reply.status).toBe(400);
      expect(reply.json.error?.message).toContain('must not carry credentials');
      expect(JSON.stringify(reply.json)).not.toContain(secret);
    }
    const settings = await h.stores.settings.get('api');
    expect(JSON.stringify(settings)).not.toContain(secret);
  });
});
