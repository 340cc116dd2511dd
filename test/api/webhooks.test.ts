import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { apiHarness, waitFor, type ApiHarness } from './harness.js';

interface Delivery {
  headers: IncomingHttpHeaders;
  body: string;
}

/** A webhook receiver on 127.0.0.1 that answers each delivery with the next status in `answers` (then 200). */
async function receiver(answers: number[] = []): Promise<{ url: string; deliveries: Delivery[]; close(): Promise<void> }> {
  const deliveries: Delivery[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/hooks/errand') throw new Error(`unexpected ${req.method} ${req.url}`);
      deliveries.push({ headers: req.headers, body });
      res.writeHead(answers.shift() ?? 200).end();
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/errand`,
    deliveries,
    close: () => new Promise<void>((done) => server.close(() => done())),
  };
}

const secret = 'whsec_0123456789abcdef0123456789abcdef';
const sign = (body: string) => `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

describe('statusChange webhooks', () => {
  let h: ApiHarness;
  beforeAll(async () => {
    h = await apiHarness({ webhookBackoffMs: 50 });
  });
  afterAll(async () => {
    await h.close();
  });

  it('delivers one signed statusChange when the agent finishes, and keeps the secret out of the record and events', async () => {
    const hook = await receiver();
    try {
      const id = await h.launch(h.keys.alice, { webhook: { url: hook.url, secret } });
      await h.drive(id, 'preparing', 'running', { type: 'model_message', text: 'working' });
      await h.agents.transition(id, 'finished', { patch: { summary: 'Fixed the flaky login test.', prUrl: 'https://github.com/acme/web/pull/7' } });
      await waitFor(() => hook.deliveries.length >= 1, { what: 'the webhook' });
      const [delivery] = hook.deliveries;
      expect(delivery!.headers['x-webhook-signature']).toBe(sign(delivery!.body));
      expect(delivery!.headers['x-webhook-event']).toBe('statusChange');
      expect(delivery!.headers['user-agent']).toBe('Errand-Webhook/1');
      expect(delivery!.headers['x-webhook-id']).toMatch(/^wh-/);
      expect(JSON.parse(delivery!.body)).toMatchObject({
        event: 'statusChange',
        id,
        status: 'FINISHED',
        source: { repository: 'acme/web', ref: 'main' },
        target: { url: `${h.url}/agents/${id}`, prUrl: 'https://github.com/acme/web/pull/7' },
        summary: 'Fixed the flaky login test.',
      });

      // More events (and dispatches) later never send it again.
      const last = await h.stores.events.append(id, { type: 'log', phase: 'git', stream: 'system', text: 'cleanup' });
      await waitFor(async () => (await h.stores.cursors.get(id, 'api')) === last.id, { what: 'the dispatcher to pass the new event' });
      expect(hook.deliveries).toHaveLength(1);

      const raw = `${await h.redis.get(`${h.prefix}agent:${id}`)}${JSON.stringify(await h.stores.events.read(id))}`;
      expect(raw).toContain(hook.url);
      expect(raw).not.toContain(secret);
      const everything = await h.redis.keys(`${h.prefix}*`);
      for (const key of everything) {
        const type = await h.redis.type(key);
        const value = type === 'string' ? await h.redis.get(key) : type === 'hash' ? JSON.stringify(await h.redis.hgetall(key)) : '';
        expect([key, value?.includes(secret)]).toEqual([key, false]);
      }
    } finally {
      await hook.close();
    }
  });

  it('retries a delivery the receiver answered with 500, with the same id and a valid signature', async () => {
    const hook = await receiver([500]);
    try {
      const id = await h.launch(h.keys.alice, { webhook: { url: hook.url, secret } });
      await h.drive(id, 'preparing', 'running', 'failed');
      await waitFor(() => hook.deliveries.length >= 2, { what: 'the retried webhook' });
      const [first, second] = hook.deliveries;
      expect(second!.headers['x-webhook-id']).toBe(first!.headers['x-webhook-id']);
      expect(second!.headers['x-webhook-signature']).toBe(sign(second!.body));
      expect(JSON.parse(second!.body)).toMatchObject({ id, status: 'ERROR' });
    } finally {
      await hook.close();
    }
  });

  it('tells the webhook when an agent is stopped, and again when a resumed agent finishes', async () => {
    const hook = await receiver();
    try {
      const id = await h.launch(h.keys.alice, { webhook: { url: hook.url, secret } });
      await h.call('POST', `/v0/agents/${id}/stop`);
      await waitFor(() => hook.deliveries.length >= 1, { what: 'the STOPPED webhook' });
      await h.call('POST', `/v0/agents/${id}/followup`, { body: { prompt: { text: 'go on after all' } } });
      await h.drive(id, 'preparing', 'running', 'finished');
      await waitFor(() => hook.deliveries.length >= 2, { what: 'the FINISHED webhook' });
      expect(hook.deliveries.map((d) => (JSON.parse(d.body) as { status: string }).status)).toEqual(['STOPPED', 'FINISHED']);
    } finally {
      await hook.close();
    }
  });
});
