import { coreHarness, slackUser, type CoreHarness } from '../support/core.js';

describe('inbox and de-duplication', () => {
  let h: CoreHarness;
  beforeEach(async () => {
    h = await coreHarness();
  });
  afterEach(() => h.close());

  it('queues follow-ups with their position and drains them oldest first, once', async () => {
    const author = slackUser();
    const at = new Date().toISOString();
    expect(await h.stores.inbox.push('ag_aaaaaaaaaaaa', { author, text: 'also fix the signup test', source: 's', at })).toBe(1);
    expect(await h.stores.inbox.push('ag_aaaaaaaaaaaa', { author, text: 'and update the docs', source: 's', at })).toBe(2);
    expect(await h.stores.inbox.size('ag_aaaaaaaaaaaa')).toBe(2);
    expect((await h.stores.inbox.drain('ag_aaaaaaaaaaaa')).map((f) => f.text)).toEqual(['also fix the signup test', 'and update the docs']);
    expect(await h.stores.inbox.drain('ag_aaaaaaaaaaaa')).toEqual([]);
  });

  it('claims a delivery id once, then refuses it until the TTL passes', async () => {
    expect(await h.stores.dedup.claim('slack:Ev123')).toBe(true);
    expect(await h.stores.dedup.claim('slack:Ev123')).toBe(false);
    expect(await h.stores.dedup.claim('github:d-1')).toBe(true);
    expect(await h.redis.ttl(`${h.prefix}dedup:slack:Ev123`)).toBeGreaterThan(86_400);
    await h.stores.dedup.claim('short', 1);
    expect(await h.redis.pttl(`${h.prefix}dedup:short`)).toBeLessThanOrEqual(1000);
  });
});
