import { loadConfig } from '../../src/config.js';
import { ApiKeyStore } from '../../src/frontends/http/api/index.js';
import { banner, startErrand } from '../../src/main.js';
import { Scrubber } from '../../src/redact/scrubber.js';
import { deleteKeys, testRedis, testRedisUrl, uniquePrefix } from '../support/redis.js';
import { silent } from './harness.js';

describe('the API in Errand’s web role', () => {
  it('is served by startErrand, with a banner that says how to make the first admin key', async () => {
    const prefix = uniquePrefix('wiring');
    const config = loadConfig({ REDIS_URL: testRedisUrl(), ERRAND_ROLE: 'web', PORT: '0', ERRAND_MODEL: 'openai:test-model', OPENAI_BASE_URL: 'http://127.0.0.1:9/v1' });
    const errand = await startErrand(config, { log: silent, scrubber: new Scrubber(), prefix });
    try {
      expect(banner(errand)).toContain('keys create --name <you> --admin --save');
      // This machine's engine runs with userns-remap, so the banner says sudo works in the machines.
      expect(banner(errand)).toMatch(/Docker .*, isolation userns \(user namespaces .*sudo works\)/);
      const { key } = await new ApiKeyStore(errand.redis, prefix, { now: () => new Date() }).create({ name: 'ops', admin: true });
      const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
      const me = await fetch(`${errand.http!.url}/v0/me`, { headers });
      expect(await me.json()).toMatchObject({ apiKeyName: 'ops', admin: true });
      const launched = await fetch(`${errand.http!.url}/v0/agents`, { method: 'POST', headers, body: JSON.stringify({ prompt: { text: 'hello' }, source: { repository: 'acme/web' } }) });
      expect(launched.status).toBe(201);
      expect(await launched.json()).toMatchObject({ status: 'CREATING', model: 'openai:test-model' });
      const models = await fetch(`${errand.http!.url}/v0/models`, { headers });
      expect(await models.json()).toMatchObject({ models: ['openai:test-model'] });
    } finally {
      await errand.stop();
      const redis = await testRedis();
      await deleteKeys(redis, prefix);
      await redis.quit();
    }
  });
});
