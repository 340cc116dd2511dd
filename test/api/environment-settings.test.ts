import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { environmentsFromText } from '../../src/frontends/dashboard/views/settings.js';
import { apiHarness, type ApiHarness } from './harness.js';

let h: ApiHarness;
beforeAll(async () => {
  h = await apiHarness();
});
afterAll(async () => {
  await h.close();
});

const file = '{\n  // kept in Errand, not in the repository\n  "install": "make deps",\n  "terminals": [{ "name": "dev", "command": "make dev" }]\n}\n';

describe('environments kept in settings', () => {
  it('stores environment files per repository, keyed as agents name repositories', async () => {
    const reply = await h.call('PATCH', '/v0/settings', { key: h.keys.admin, body: { environments: { 'Acme/Web': file, 'https://git.example.com/team/app.git': '{}' } } });
    expect(reply.status).toBe(200);
    expect(reply.json).toMatchObject({ changed: ['environments'], settings: { environments: { 'acme/web': file, 'team/app': '{}' } } });
  });

  it('refuses a text the worker could not load, naming the repository, the field and the fix', async () => {
    const reply = await h.call('PATCH', '/v0/settings', { key: h.keys.admin, body: { environments: { 'acme/web': '{ "install": ["npm", "ci"] }' } } });
    expect(reply.status).toBe(400);
    expect(reply.json.error?.message).toContain('environments.acme/web: .errand/environment.json field "install"');
    expect(reply.json.error?.message).toContain('fix:');
    const after = await h.call('GET', '/v0/settings', { key: h.keys.admin });
    expect((after.json.settings as { environments: Record<string, string> }).environments['acme/web']).toBe(file);
  });

  it('reads the dashboard form: a "### owner/name" line before each file', () => {
    expect(environmentsFromText(`### acme/web\n${file}\n### acme/api\n{ "start": "make up" }\n### acme/empty\n\n`)).toEqual({
      'acme/web': file,
      'acme/api': '{ "start": "make up" }\n',
    });
  });
});
