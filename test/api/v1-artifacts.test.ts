import { describe, expect, it } from '@jest/globals';
import { z } from 'zod';
import { apiHarness, type ApiHarness } from './harness.js';
import { perTest } from '../support/per-test.js';

// Cursor's v1 artifact shapes as docs/api.md records them, field by field.
const ArtifactList = z.object({ items: z.array(z.object({ path: z.string(), sizeBytes: z.number().int().nonnegative(), updatedAt: z.iso.datetime() }).strict()) }).strict();
const Download = z.object({ url: z.url(), expiresAt: z.iso.datetime() }).strict();
const ErrorBody = z.object({ code: z.string(), message: z.string(), error: z.object({ code: z.string(), message: z.string(), field: z.string().optional() }).strict() }).strict();

const api: ApiHarness = perTest('api', () => apiHarness(), (h) => h.close());

function basic(key: string): Record<string, string> {
  return { authorization: `Basic ${Buffer.from(`${key}:`).toString('base64')}` };
}

async function agentWithArtifacts(): Promise<string> {
  const created = await api.call('POST', '/v1/agents', { key: null, headers: basic(api.keys.alice), body: { prompt: { text: 'take screenshots' }, repos: [{ url: 'acme/web', startingRef: 'main' }] } });
  expect(created.status).toBe(201);
  const id = (created.json['agent'] as { id: string }).id;
  const agent = await api.agents.require(id);
  await api.stores.artifacts.replace(agent, [
    { name: 'report.md', size: 7, updatedAt: '2026-12-01T10:00:00.000Z', content: Buffer.from('# done\n') },
    { name: 'shots/home page.png', size: 4, updatedAt: '2026-12-01T10:00:01.000Z', content: Buffer.from([0x89, 0x50, 0x4e, 0x47]) },
  ]);
  return id;
}

describe('artifacts through API v1', () => {
  it('lists the files with Basic auth and hands out presigned links that download them without a key', async () => {
    const id = await agentWithArtifacts();
    const listed = await api.call('GET', `/v1/agents/${id}/artifacts`, { key: null, headers: basic(api.keys.alice) });
    expect(listed.status).toBe(200);
    expect(ArtifactList.parse(listed.json)).toEqual({
      items: [
        { path: 'artifacts/report.md', sizeBytes: 7, updatedAt: '2026-12-01T10:00:00.000Z' },
        { path: 'artifacts/shots/home page.png', sizeBytes: 4, updatedAt: '2026-12-01T10:00:01.000Z' },
      ],
    });

    const before = Date.now();
    const link = await api.call('GET', `/v1/agents/${id}/artifacts/download?path=${encodeURIComponent('artifacts/shots/home page.png')}`);
    expect(link.status).toBe(200);
    const { url, expiresAt } = Download.parse(link.json);
    const lifetime = Date.parse(expiresAt) - before;
    expect(lifetime).toBeGreaterThan(14 * 60_000);
    expect(lifetime).toBeLessThanOrEqual(15 * 60_000 + 1000);
    expect(new URL(url).pathname).toBe(`/v1/agents/${id}/artifacts/shots/home%20page.png`);
    const shot = await fetch(url);
    expect(shot.status).toBe(200);
    expect(shot.headers.get('content-type')).toBe('application/octet-stream');
    expect(shot.headers.get('content-disposition')).toContain('home%20page.png');
    expect(Buffer.from(await shot.arrayBuffer())).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47]));

    // A bare name is taken too, with Bearer auth.
    const bare = Download.parse((await api.call('GET', `/v1/agents/${id}/artifacts/download?path=report.md`)).json);
    expect(await (await fetch(bare.url)).text()).toBe('# done\n');
  });

  it('refuses forged, swapped and expired signatures, and a link without one needs a key', async () => {
    const id = await agentWithArtifacts();
    const { url } = Download.parse((await api.call('GET', `/v1/agents/${id}/artifacts/download?path=artifacts/report.md`)).json);
    const forged = new URL(url);
    const signature = forged.searchParams.get('signature')!;
    forged.searchParams.set('signature', `${signature.slice(0, -2)}${signature.endsWith('A') ? 'BB' : 'AA'}`);
    const refused = await fetch(forged);
    expect(refused.status).toBe(403);
    expect(ErrorBody.parse(await refused.json()).code).toBe('forbidden');
    const extended = new URL(url);
    extended.searchParams.set('expires', String(Number(extended.searchParams.get('expires')) + 3600));
    expect((await fetch(extended)).status).toBe(403);
    const expired = new URL(url);
    expired.searchParams.set('expires', String(Math.floor(Date.now() / 1000) - 1));
    expect((await fetch(expired)).status).toBe(403);
    const swapped = new URL(url);
    swapped.pathname = swapped.pathname.replace('report.md', 'shots/home%20page.png');
    expect((await fetch(swapped)).status).toBe(403);
    const otherAgent = new URL(url);
    otherAgent.pathname = otherAgent.pathname.replace(id, `${id}x`);
    expect((await fetch(otherAgent)).status).toBe(403);
    const bare = new URL(url);
    bare.search = '';
    expect((await fetch(bare)).status).toBe(401);
  });

  it('refuses .. and absolute paths and names an artifact that is not there', async () => {
    const id = await agentWithArtifacts();
    for (const path of ['artifacts/../package.json', '../.git/config', '/etc/passwd', 'artifacts/', 'artifacts/./report.md']) {
      const reply = await api.call('GET', `/v1/agents/${id}/artifacts/download?path=${encodeURIComponent(path)}`);
      expect(reply.status).toBe(400);
      expect(ErrorBody.parse(reply.json).error).toEqual({ code: 'invalid_request', message: expect.stringContaining('is not an artifact path'), field: 'path' });
    }
    const missing = await api.call('GET', `/v1/agents/${id}/artifacts/download?path=artifacts/nothing.txt`);
    expect(missing.status).toBe(404);
    expect(ErrorBody.parse(missing.json).code).toBe('not_found');
    const noPath = await api.call('GET', `/v1/agents/${id}/artifacts/download`);
    expect(noPath.status).toBe(400);
    expect(ErrorBody.parse(noPath.json).error.field).toBe('path');
  });

  it("answers 404 for another person's or another workspace's agent, and forgets artifacts with the agent", async () => {
    const id = await agentWithArtifacts();
    const elsewhere = (await api.api.keys.create({ name: 'eve', admin: true, workspace: 'T-other' })).key;
    for (const key of [api.keys.bob, elsewhere]) {
      for (const path of [`/v1/agents/${id}/artifacts`, `/v1/agents/${id}/artifacts/download?path=artifacts/report.md`]) {
        const reply = await api.call('GET', path, { key: null, headers: basic(key) });
        expect(reply.status).toBe(404);
        expect(ErrorBody.parse(reply.json).code).toBe('not_found');
      }
    }
    // The workspace's admin sees them.
    expect(ArtifactList.parse((await api.call('GET', `/v1/agents/${id}/artifacts`, { key: api.keys.admin })).json).items).toHaveLength(2);

    const { url } = Download.parse((await api.call('GET', `/v1/agents/${id}/artifacts/download?path=artifacts/report.md`)).json);
    expect((await api.call('DELETE', `/v1/agents/${id}`)).status).toBe(200);
    const gone = await fetch(url);
    expect(gone.status).toBe(404);
    expect(ErrorBody.parse(await gone.json()).code).toBe('not_found');
    expect((await api.call('GET', `/v1/agents/${id}/artifacts`)).status).toBe(404);
  });
});
