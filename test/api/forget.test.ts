import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Redis } from 'ioredis';
import { recordingSpec, sandboxTestBed, testSandbox } from '../support/docker.js';
import { uniqueInstance } from '../support/redis.js';
import { apiHarness, waitFor, type ApiHarness } from './harness.js';

const day = 86_400_000;
const secret = 'whsec_0123456789abcdef0123456789abcdef';

/** Every key under the prefix, by SCAN. */
async function scanAll(redis: Redis, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    keys.push(...batch);
  } while (cursor !== '0');
  return keys.sort();
}

/** Keys that hold the agent id as a member (indexes, running sets, queue states). */
async function keysHoldingMember(redis: Redis, keys: string[], agentId: string): Promise<string[]> {
  const holding: string[] = [];
  for (const key of keys) {
    const type = await redis.type(key);
    const members = type === 'zset' ? await redis.zrange(key, '0', '-1') : type === 'list' ? await redis.lrange(key, 0, -1) : type === 'set' ? await redis.smembers(key) : [];
    if (members.some((m) => m.includes(agentId))) holding.push(key);
  }
  return holding;
}

/** A webhook receiver on 127.0.0.1 that answers 200. */
async function receiver(): Promise<{ url: string; count: () => number; close(): Promise<void> }> {
  let count = 0;
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      count++;
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`, count: () => count, close: () => new Promise<void>((done) => server.close(() => done())) };
}

/** Leaves a key of every family an agent can have: run and webhook jobs, events, inbox, history, cursors, Slack and GitHub state, webhook secret, claims. */
async function everyKindOfState(h: ApiHarness, hookUrl: string, hooks: () => number): Promise<string> {
  const id = await h.launch(h.keys.alice, { webhook: { url: hookUrl, secret } });
  await h.drive(id, 'preparing', 'running', { type: 'milestone', name: 'environment_ready', text: 'ready' }, 'finished');
  await waitFor(() => hooks() >= 1, { what: 'the webhook delivery' });
  const agent = (await h.agents.get(id))!;
  await waitFor(async () => (await h.redis.hlen(`${h.prefix}notify:${id}`)) > 0, { what: 'a notification cursor' });
  await h.stores.history.save(id, [{ role: 'user', content: 'fix the flaky login test' }], agent.expiresAt);
  await h.stores.slack.set(id, 'status:C1', '1700000000.000100');
  await h.stores.githubTracking.set(id, 'github:acme/web#1', '{}');
  await h.stores.dedup.claim(`admission:${id}:person:1`, 86_400);
  // A follow-up on a finished agent resumes it: an inbox entry and a resume job.
  expect((await h.call('POST', `/v0/agents/${id}/followup`, { body: { prompt: { text: 'and the logout test' } } })).status).toBe(200);
  return id;
}

describe('forgetting an agent', () => {
  let h: ApiHarness;
  let hook: Awaited<ReturnType<typeof receiver>>;
  const bed = sandboxTestBed('forget');

  beforeAll(async () => {
    h = await apiHarness();
    hook = await receiver();
  });

  afterAll(async () => {
    await hook.close();
    await h.close();
  });

  it('DELETE leaves no key, no index entry, no queue job and no container of the agent', async () => {
    const sandbox = testSandbox(bed.docker, { install: uniqueInstance('forget') });
    h.agents.forgetter.useContainers(sandbox);
    const id = await everyKindOfState(h, hook.url, hook.count);
    const project = bed.gitRepo({ 'README.md': '# forget\n' });
    await sandbox.prepare(recordingSpec(project.dir, bed.repo, { agentId: id }));

    const before = (await scanAll(h.redis, h.prefix)).filter((key) => key.includes(id));
    const families = before.map((key) => key.slice(h.prefix.length).replace(id, '<id>'));
    expect(families).toEqual(
      expect.arrayContaining([
        'agent:<id>', 'events:<id>', 'inbox:<id>', 'history:<id>', 'notify:<id>', 'slack:agent:<id>', 'github:tracking:<id>', 'webhook-secret:<id>',
        'dedup:admission:<id>:person:1', 'runs:<id>',
      ]),
    );
    expect(families.some((f) => f.startsWith('runs:<id>-resume-'))).toBe(true);
    expect(families.some((f) => f.startsWith('errand-webhooks:wh-<id>-'))).toBe(true);
    expect((await keysHoldingMember(h.redis, await scanAll(h.redis, h.prefix), id)).length).toBeGreaterThan(0);

    expect((await h.call('DELETE', `/v0/agents/${id}`)).json).toEqual({ id });

    const after = await scanAll(h.redis, h.prefix);
    expect(after.filter((key) => key.includes(id))).toEqual([]);
    expect(await keysHoldingMember(h.redis, after, id)).toEqual([]);
    expect(await bed.docker.listContainers({ all: true, filters: { label: [`errand.agent=${id}`] } })).toEqual([]);
  });

  it("applies the workspace's 30-day retention to every key of the agent, not the server's 3 days", async () => {
    await h.stores.settings.set('api', { ...(await h.stores.settings.get('api')), retentionDays: 30 });
    try {
      const id = await everyKindOfState(h, hook.url, hook.count);
      const keys = (await scanAll(h.redis, h.prefix)).filter((key) => key.includes(id));
      // BullMQ's job hashes go by the queue's own rules (removeOnComplete), and forget removes them.
      const stored = keys.filter((key) => !key.startsWith(`${h.prefix}runs:`) && !key.startsWith(`${h.prefix}errand-webhooks:`));
      expect(stored.length).toBeGreaterThanOrEqual(9);
      for (const key of stored) {
        const ttl = await h.redis.pttl(key);
        // Claims and the notification lease are short by design: they only must not outlive the agent.
        const shortLived = key.startsWith(`${h.prefix}dedup:`) || key.startsWith(`${h.prefix}lease:`);
        const lifetime = shortLived ? { key, ok: ttl === -2 || (ttl > 0 && ttl <= 31 * day) } : { key, ok: ttl >= 30 * day && ttl <= 31 * day + 60_000 };
        expect(lifetime).toEqual({ key, ok: true });
      }
      for (const index of [`${h.prefix}agents`, `${h.prefix}agents:ws:api`, `${h.prefix}agents:owner:api:api:alice`]) {
        expect({ index, ttl: (await h.redis.pttl(index)) >= 30 * day }).toEqual({ index, ttl: true });
      }
    } finally {
      await h.stores.settings.set('api', { ...(await h.stores.settings.get('api')), retentionDays: 3 });
    }
  });
});
