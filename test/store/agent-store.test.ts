import { conversationKey } from '../../src/core/index.js';
import { coreHarness, slackThread, slackUser, TestClock, type CoreHarness } from '../support/core.js';

describe('Redis agent store', () => {
  let h: CoreHarness;
  const clock = new TestClock();
  beforeEach(async () => {
    h = await coreHarness({ clock });
  });
  afterEach(() => h.close());

  it('stores an agent and reads it back with a TTL from the retention setting', async () => {
    const { agent } = await h.service.launch({ principal: slackUser(), workspace: 'T1', conversation: slackThread(), text: 'repo=acme/web fix the login test' });
    const read = await h.stores.agents.get(agent.id);
    expect(read).toMatchObject({ id: agent.id, status: 'queued', repo: { fullName: 'acme/web' }, prompt: 'fix the login test', title: 'fix the login test' });
    const ttl = await h.redis.ttl(`${h.prefix}agent:${agent.id}`);
    // 3 days of retention plus a day of grace, so that `expired` can still be seen.
    expect(ttl).toBeGreaterThan(3 * 86_400);
    expect(ttl).toBeLessThanOrEqual(4 * 86_400);
    expect(await h.redis.ttl(`${h.prefix}events:${agent.id}`)).toBeGreaterThan(0);
  });

  it('loses no update when many writers change one agent at once', async () => {
    const { agent } = await h.service.launch({ principal: slackUser(), workspace: 'T1', conversation: slackThread(), text: 'repo=a/b count' });
    await Promise.all(
      Array.from({ length: 25 }, () => h.stores.agents.update(agent.id, (a) => ({ ...a, usage: { inputTokens: a.usage.inputTokens + 1, outputTokens: 0 } }))),
    );
    const read = await h.stores.agents.get(agent.id);
    expect(read?.usage.inputTokens).toBe(25);
    expect(read?.version).toBe(25);
  });

  it('lists by owner, by conversation, by status and by text, newest first, page by page', async () => {
    const alice = slackUser('UA');
    const bob = slackUser('UB');
    const made = [];
    for (let i = 0; i < 5; i++) {
      clock.advance(1000);
      made.push((await h.service.launch({ principal: i % 2 ? bob : alice, workspace: 'T1', conversation: slackThread(`17.${i}`), text: `repo=a/b task number ${i} ${i === 3 ? 'flaky login' : ''}` })).agent);
    }
    const mine = await h.stores.agents.list({ owner: alice });
    expect(mine.agents.map((a) => a.prompt.slice(0, 13))).toEqual(['task number 4', 'task number 2', 'task number 0']);

    const byThread = await h.stores.agents.list({ conversationKey: conversationKey(slackThread('17.3')) });
    expect(byThread.agents.map((a) => a.id)).toEqual([made[3]!.id]);

    const search = await h.stores.agents.list({ text: 'FLAKY login' });
    expect(search.agents.map((a) => a.id)).toEqual([made[3]!.id]);

    await h.service.transition(made[1]!.id, 'preparing');
    expect((await h.stores.agents.list({ status: ['preparing'] })).agents.map((a) => a.id)).toEqual([made[1]!.id]);

    const first = await h.stores.agents.list({ limit: 2 });
    const second = await h.stores.agents.list({ limit: 2, cursor: first.nextCursor! });
    const third = await h.stores.agents.list({ limit: 2, cursor: second.nextCursor! });
    expect([...first.agents, ...second.agents, ...third.agents].map((a) => a.id)).toEqual(made.map((a) => a.id).reverse());
    expect(third.nextCursor).toBeNull();
  });

  it("answers a workspace's active agents from an index that follows their status", async () => {
    const launch = async (text: string) => (await h.service.launch({ principal: slackUser(), workspace: 'T1', conversation: slackThread(text), text: `repo=a/b ${text}` })).agent;
    const done = await launch('done');
    const running = await launch('running');
    await h.service.transition(done.id, 'stopped');
    await h.service.transition(running.id, 'preparing');
    const active = await h.stores.agents.list({ workspace: 'T1', status: ['queued', 'preparing', 'running'] });
    expect(active.agents.map((a) => a.id)).toEqual([running.id]);
    expect(await h.redis.zrange(`${h.prefix}agents:active:T1`, '0', '-1')).toEqual([running.id]);
    await h.service.followUp(done.id, slackUser(), 'once more', slackThread('done'));
    expect((await h.stores.agents.list({ workspace: 'T1', status: ['queued'] })).agents.map((a) => a.id)).toEqual([done.id]);
  });

  it('drops agents whose record expired from the lists', async () => {
    const { agent } = await h.service.launch({ principal: slackUser(), workspace: 'T1', conversation: slackThread(), text: 'repo=a/b short-lived' });
    await h.redis.del(`${h.prefix}agent:${agent.id}`);
    expect((await h.stores.agents.list({})).agents).toEqual([]);
    expect(await h.redis.zscore(`${h.prefix}agents`, agent.id)).toBeNull();
  });
});
