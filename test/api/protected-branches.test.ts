import { apiHarnessPerTest } from './harness.js';

describe("API: the agent's own branch is never the base or a protected branch", () => {
  const h = apiHarnessPerTest();

  const launch = (branchName: string, ref?: string) =>
    h.call('POST', '/v0/agents', {
      key: h.keys.alice,
      body: { prompt: { text: 'ship it' }, source: { repository: 'acme/web', ...(ref ? { ref } : {}) }, target: { branchName } },
    });

  test('target.branchName equal to the base branch, or to main, master, develop or release/*, is refused and nothing is stored', async () => {
    const cases: [string, string | undefined, string][] = [
      ['main', 'main', 'the base branch'],
      ['feature/base', 'feature/base', 'the base branch'],
      ['main', undefined, 'a protected branch'],
      ['master', undefined, 'a protected branch'],
      ['develop', 'main', 'a protected branch'],
      ['release/2.0', 'main', 'a protected branch'],
    ];
    for (const [branchName, ref, why] of cases) {
      const reply = await launch(branchName, ref);
      expect(reply.status).toBe(400);
      expect(reply.json.error).toMatchObject({ code: 'invalid_request', message: expect.stringContaining(why) });
    }
    expect((await h.agents.list({ workspace: 'api' })).agents).toEqual([]);
    expect((await launch('feature/readme', 'main')).status).toBe(201);
  });

  test("a workspace's protectedBranches setting replaces the default patterns; the base stays protected", async () => {
    const admin = await h.call('PATCH', '/v0/settings', { key: h.keys.admin, body: { protectedBranches: ['trunk', 'prod/**'] } });
    expect(admin.status).toBe(200);
    expect((await launch('prod/eu/west', 'trunk')).status).toBe(400);
    expect((await launch('trunk', 'dev')).status).toBe(400);
    expect((await launch('dev', 'dev')).status).toBe(400);
    expect((await launch('develop', 'trunk')).status).toBe(201);
  });
});

describe('API: settings are checked on save like a launch', () => {
  const h = apiHarnessPerTest();

  test('a default model the server cannot run is refused, naming the field, and not saved', async () => {
    const reply = await h.call('PATCH', '/v0/settings', { key: h.keys.admin, body: { defaultModel: 'nope:x' } });
    expect(reply.status).toBe(400);
    expect(reply.json.error?.message).toContain('defaultModel');
    expect((await h.stores.settings.get('api')).defaultModel).toBe('');
    expect((await h.call('PATCH', '/v0/settings', { key: h.keys.admin, body: { defaultModel: 'openai:test-large' } })).status).toBe(200);
  });
});
