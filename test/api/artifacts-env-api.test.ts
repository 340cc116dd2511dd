import { randomBytes } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { ArtifactUrlSigner } from '../../src/frontends/http/api/artifact-urls.js';
import { TestClock } from '../support/core.js';
import { apiHarness, type ApiHarness } from './harness.js';
import { perTest } from '../support/per-test.js';

const api: ApiHarness = perTest('api', () => apiHarness(), (h) => h.close());
const token = 'sk-session-value-0123456789-never-shown';

async function withArtifacts(agentId: string): Promise<void> {
  const agent = await api.agents.require(agentId);
  const at = new Date().toISOString();
  await api.stores.artifacts.replace(agent, [
    { name: 'report.md', size: 7, updatedAt: at, content: Buffer.from('# done\n') },
    { name: 'shots/home page.png', size: 4, updatedAt: at, content: Buffer.from([0x89, 0x50, 0x4e, 0x47]) },
  ]);
}

describe('artifacts through the v0 API', () => {
  it('lists the files with signed links that download them without a key', async () => {
    const id = await api.launch(api.keys.alice);
    await withArtifacts(id);
    const listed = await api.call('GET', `/v0/agents/${id}/artifacts`);
    expect(listed.status).toBe(200);
    const artifacts = listed.json['artifacts'] as { name: string; size: number; updatedAt: string; url: string; expiresAt: string }[];
    expect(artifacts.map((a) => [a.name, a.size])).toEqual([['report.md', 7], ['shots/home page.png', 4]]);
    expect(Date.parse(artifacts[0]!.expiresAt) - Date.now()).toBeLessThanOrEqual(15 * 60_000);

    const report = await fetch(artifacts[0]!.url);
    expect(report.status).toBe(200);
    expect(await report.text()).toBe('# done\n');
    expect(report.headers.get('content-disposition')).toContain('report.md');
    const shot = await fetch(artifacts[1]!.url);
    expect(Buffer.from(await shot.arrayBuffer())).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47]));
  });

  it('refuses a tampered link, a link for another file and a link without its signature', async () => {
    const id = await api.launch(api.keys.alice);
    await withArtifacts(id);
    const listed = await api.call('GET', `/v0/agents/${id}/artifacts`);
    const [report, shot] = listed.json['artifacts'] as { url: string }[];
    const url = new URL(report!.url);
    const signature = url.searchParams.get('signature')!;
    url.searchParams.set('signature', `${signature.slice(0, -2)}${signature.endsWith('A') ? 'BB' : 'AA'}`);
    expect((await fetch(url)).status).toBe(403);
    const later = new URL(report!.url);
    later.searchParams.set('expires', String(Number(later.searchParams.get('expires')) + 3600));
    expect((await fetch(later)).status).toBe(403);
    const swapped = new URL(shot!.url);
    swapped.pathname = new URL(report!.url).pathname;
    expect((await fetch(swapped)).status).toBe(403);
    const bare = new URL(report!.url);
    bare.search = '';
    expect((await fetch(bare)).status).toBe(401);
  });

  it("hides another person's artifacts and forgets them with the agent", async () => {
    const id = await api.launch(api.keys.alice);
    await withArtifacts(id);
    expect((await api.call('GET', `/v0/agents/${id}/artifacts`, { key: api.keys.bob })).status).toBe(404);
    const [report] = (await api.call('GET', `/v0/agents/${id}/artifacts`)).json['artifacts'] as { url: string }[];
    expect((await api.call('DELETE', `/v0/agents/${id}`)).status).toBe(200);
    expect(await api.stores.artifacts.list(id)).toEqual([]);
    expect((await fetch(report!.url)).status).toBe(404);
  });
});

describe('artifact links', () => {
  it('stop working once they expire', async () => {
    const clock = new TestClock();
    const key = randomBytes(32);
    const signer = new ArtifactUrlSigner(async () => key, clock, 60_000);
    const { expires, signature } = await signer.query('a1', 'report.md');
    expect(await signer.verify('a1', 'report.md', String(expires), signature)).toBe(true);
    expect(await signer.verify('a2', 'report.md', String(expires), signature)).toBe(false);
    clock.advance(61_000);
    expect(await signer.verify('a1', 'report.md', String(expires), signature)).toBe(false);
  });
});

describe('envVars on launch', () => {
  it('keeps the values sealed and out of every API answer and event', async () => {
    const reply = await api.call('POST', '/v0/agents', { body: { prompt: { text: 'deploy the preview' }, source: { repository: 'acme/web' }, envVars: { DEPLOY_TOKEN: token, REGION: 'eu-west-1a-unique' } } });
    expect(reply.status).toBe(201);
    const id = reply.json['id'] as string;
    const agent = await api.agents.require(id);
    expect(agent.envVarNames).toEqual(['DEPLOY_TOKEN', 'REGION']);
    expect(await api.stores.sessionEnv!.get(agent)).toEqual({ DEPLOY_TOKEN: token, REGION: 'eu-west-1a-unique' });
    const seen = [
      JSON.stringify(reply.json),
      JSON.stringify((await api.call('GET', `/v0/agents/${id}`)).json),
      JSON.stringify((await api.call('GET', '/v0/agents')).json),
      JSON.stringify(await api.stores.events.read(id)),
      JSON.stringify(agent),
      (await api.redis.get(api.stores.keys.sessionEnv(id))) ?? '',
    ].join('\n');
    expect(seen).not.toContain(token);
    expect(seen).not.toContain('eu-west-1a-unique');
    expect(api.scrubber.scrub(`token=${token}`)).not.toContain(token);

    expect((await api.call('DELETE', `/v0/agents/${id}`)).status).toBe(200);
    expect(await api.redis.exists(api.stores.keys.sessionEnv(id))).toBe(0);
  });

  it('refuses ERRAND_ names and bad names with a message naming the variable', async () => {
    const reserved = await api.call('POST', '/v0/agents', { body: { prompt: { text: 'x' }, source: { repository: 'acme/web' }, envVars: { ERRAND_MODEL: 'x' } } });
    expect(reserved.status).toBe(400);
    expect(reserved.json.error?.message).toBe('envVars: `ERRAND_MODEL` is refused: names starting with ERRAND_ are reserved for Errand');
    const bad = await api.call('POST', '/v0/agents', { body: { prompt: { text: 'x' }, source: { repository: 'acme/web' }, envVars: { '1X': 'x' } } });
    expect(bad.status).toBe(400);
    expect(bad.json.error?.message).toContain('`1X` is not a valid variable name');
    expect((await api.agents.list({ limit: 10 })).agents).toHaveLength(0);
  });
});
