import { RetentionSweeper, type Agent, type Principal } from '../../src/core/index.js';
import { coreHarness, silentLog, slackThread, slackUser, TestClock, type CoreHarness } from '../support/core.js';

describe('agent counts and indexes in the store', () => {
  let h: CoreHarness;
  const clock = new TestClock();
  beforeEach(async () => {
    h = await coreHarness({ clock });
  });
  afterEach(() => h.close());

  let thread = 0;
  const launch = async (text: string, principal: Principal = slackUser(), workspace = 'T1'): Promise<Agent> => {
    clock.advance(1000);
    thread += 1;
    return (await h.service.launch({ principal, workspace, conversation: slackThread(`18.${thread}`, 'C1', workspace), text: `repo=acme/web ${text}` })).agent;
  };
  const ids = (agents: Agent[]) => agents.map((a) => a.id);
  const alice = slackUser('UA');
  const bob = slackUser('UB');

  it('counts active agents per workspace and per person through launches and every status change', async () => {
    const a1 = await launch('one', alice);
    const a2 = await launch('two', alice);
    const b1 = await launch('three', bob);
    await launch('elsewhere', slackUser('UA', 'T2'), 'T2');
    expect(await h.stores.agents.activeCounts('T1', alice)).toEqual({ workspace: 3, owner: 2 });

    await h.service.transition(a1.id, 'preparing');
    await h.service.transition(a1.id, 'running');
    expect(await h.stores.agents.activeCounts('T1', alice)).toEqual({ workspace: 3, owner: 2 });
    await h.service.transition(a1.id, 'finished');
    await h.service.transition(b1.id, 'stopped');
    expect(await h.stores.agents.activeCounts('T1', alice)).toEqual({ workspace: 1, owner: 1 });
    expect(await h.stores.agents.activeCounts('T1', bob)).toEqual({ workspace: 1, owner: 0 });

    // A follow-up resumes a finished agent: it counts again.
    await h.service.followUp(a1.id, alice, 'once more', slackThread('18.1'));
    expect(await h.stores.agents.activeCounts('T1', alice)).toEqual({ workspace: 2, owner: 2 });
    expect(ids((await h.stores.agents.list({ workspace: 'T1', status: ['queued'] })).agents)).toEqual([a2.id, a1.id]);
  });

  it('says how many runs a launch waits behind from the counts', async () => {
    await h.stores.settings.set('T1', { ...(await h.stores.settings.get('T1')), maxConcurrentPerWorkspace: 2, maxConcurrentPerPerson: 5 });
    await launch('one', alice);
    await launch('two', bob);
    const third = await h.service.launch({ principal: alice, workspace: 'T1', conversation: slackThread('19.1'), text: 'repo=acme/web three' });
    expect(third.queuedBehind).toBe(1);
  });

  it("gives a queued agent's place in its workspace's queue and how many run there, from the indexes", async () => {
    const first = await launch('one', alice);
    const second = await launch('two', bob);
    const third = await launch('three', alice);
    await launch('elsewhere', slackUser('UA', 'T2'), 'T2');
    expect(await h.service.queuePosition(third)).toEqual({ position: 3, running: 0 });
    await h.service.transition(first.id, 'preparing');
    expect(await h.service.queuePosition(second)).toEqual({ position: 1, running: 1 });
    expect(await h.service.queuePosition(third)).toEqual({ position: 2, running: 1 });
    await h.service.transition(first.id, 'running');
    await h.service.transition(second.id, 'preparing');
    expect(await h.service.queuePosition(third)).toEqual({ position: 1, running: 2 });
  });

  it('keeps counts right when many launches and transitions happen at once', async () => {
    const launched = await Promise.all(Array.from({ length: 40 }, (_, i) => h.service.launch({ principal: i % 2 ? alice : bob, workspace: 'T1', conversation: slackThread(`20.${i}`), text: `repo=acme/web task ${i}` })));
    expect(await h.stores.agents.activeCounts('T1', alice)).toEqual({ workspace: 40, owner: 20 });
    await Promise.all(launched.slice(0, 10).map(({ agent }) => h.service.transition(agent.id, 'stopped')));
    const stillAlice = launched.slice(10).filter(({ agent }) => agent.owner.id === 'UA').length;
    expect(await h.stores.agents.activeCounts('T1', alice)).toEqual({ workspace: 30, owner: stillAlice });
    expect(await h.redis.zcard(`${h.prefix}agents:status:T1:stopped`)).toBe(10);
    expect(await h.redis.zcard(`${h.prefix}agents:status:T1:queued`)).toBe(30);
  });

  it('forgets an agent from every count and index', async () => {
    const agent = await launch('fix the flaky login test', alice);
    await h.service.delete(agent.id, alice);
    expect(await h.stores.agents.activeCounts('T1', alice)).toEqual({ workspace: 0, owner: 0 });
    expect((await h.stores.agents.list({ workspace: 'T1', text: 'flaky' })).agents).toEqual([]);
    const left = await h.redis.keys(`${h.prefix}agents:*`);
    for (const key of left) expect(await h.redis.zscore(key, agent.id)).toBeNull();
  });

  it('moves an expired agent out of the active counts and into the expired filter', async () => {
    const agent = await launch('old work', alice);
    clock.advance(4 * 86_400_000);
    await new RetentionSweeper({ agents: h.stores.agents, service: h.service, clock, log: silentLog }).sweep();
    expect(await h.stores.agents.activeCounts('T1', alice)).toEqual({ workspace: 0, owner: 0 });
    expect(ids((await h.stores.agents.list({ workspace: 'T1', status: ['expired'] })).agents)).toEqual([agent.id]);
    expect((await h.stores.agents.list({ workspace: 'T1', status: ['queued'] })).agents).toEqual([]);
  });

  it('finds agents by whole words of title, repository and branch, with status and owner filters, page by page', async () => {
    const keysBefore = (await h.redis.keys(`${h.prefix}*`)).length;
    const made: Agent[] = [];
    for (let i = 0; i < 6; i++) made.push(await launch(`task ${i} ${i % 3 === 0 ? 'flaky login-test' : 'docs'}`, i % 2 ? bob : alice));
    await h.service.transition(made[3]!.id, 'preparing');

    expect(ids((await h.stores.agents.list({ workspace: 'T1', text: 'FLAKY login' })).agents)).toEqual([made[3]!.id, made[0]!.id]);
    expect(ids((await h.stores.agents.list({ workspace: 'T1', text: 'acme docs' })).agents)).toEqual([made[5]!.id, made[4]!.id, made[2]!.id, made[1]!.id]);
    expect((await h.stores.agents.list({ workspace: 'T1', text: 'nowhere' })).agents).toEqual([]);
    expect(ids((await h.stores.agents.list({ workspace: 'T1', text: 'flaky', status: ['queued'] })).agents)).toEqual([made[0]!.id]);
    expect(ids((await h.stores.agents.list({ workspace: 'T1', status: ['preparing', 'running'] })).agents)).toEqual([made[3]!.id]);
    expect(ids((await h.stores.agents.list({ workspace: 'T1', owner: bob, status: ['queued', 'preparing'] })).agents)).toEqual([made[5]!.id, made[3]!.id, made[1]!.id]);
    expect(ids((await h.stores.agents.list({ workspace: 'T1', owner: alice, text: 'docs' })).agents)).toEqual([made[4]!.id, made[2]!.id]);

    const first = await h.stores.agents.list({ workspace: 'T1', text: 'docs', status: ['queued'], limit: 3 });
    const second = await h.stores.agents.list({ workspace: 'T1', text: 'docs', status: ['queued'], limit: 3, cursor: first.nextCursor! });
    expect([...ids(first.agents), ...ids(second.agents)]).toEqual([made[5]!.id, made[4]!.id, made[2]!.id, made[1]!.id]);
    expect(second.nextCursor).toBeNull();
    // A search writes nothing: the keys are the records and their indexes.
    const keysAfterLaunches = (await h.redis.keys(`${h.prefix}*`)).length;
    await h.stores.agents.list({ workspace: 'T1', text: 'docs task', status: ['queued', 'preparing'], owner: bob });
    expect((await h.redis.keys(`${h.prefix}*`)).length).toBe(keysAfterLaunches);
    expect(keysAfterLaunches).toBeGreaterThan(keysBefore);
  });

  it('pages through sparse and dense combinations of statuses and words across thousands of agents, as a scan of the records would', async () => {
    const template = await launch('template');
    const statuses = ['queued', 'preparing', 'running', 'finished'] as const;
    const all: Agent[] = [];
    for (let i = 0; i < 1500; i++) {
      // Every agent has "common"; every 97th has "sparse"; statuses rotate (so a status + word
      // intersection is both long and spread out over the sets).
      const title = `common ${i % 97 === 0 ? 'sparse' : 'filler'} item${i % 7}`;
      const createdAt = new Date(Date.parse(template.createdAt) + (i + 1) * 10).toISOString();
      const agent: Agent = { ...template, id: `seed-${String(i).padStart(4, '0')}`, title, branch: `errand/seed-${i}`, status: statuses[i % 4]!, createdAt, updatedAt: createdAt, version: 0, conversations: [{ kind: 'api' }] };
      await h.stores.agents.create(agent);
      all.push(agent);
    }
    const newestFirst = [...all].reverse();
    const expected = (status: readonly string[], word: string) => newestFirst.filter((a) => status.includes(a.status) && a.title.split(' ').includes(word)).map((a) => a.id);
    const pages = async (status: Agent['status'][], text: string, limit: number) => {
      const found: string[] = [];
      let cursor: string | null = null;
      do {
        const page: Awaited<ReturnType<typeof h.stores.agents.list>> = await h.stores.agents.list({ workspace: 'T1', status, text, limit, ...(cursor ? { cursor } : {}) });
        found.push(...ids(page.agents));
        expect(page.agents.length).toBeLessThanOrEqual(limit);
        cursor = page.nextCursor;
      } while (cursor);
      return found;
    };
    expect(await pages(['queued', 'preparing'], 'common', 200)).toEqual(expected(['queued', 'preparing'], 'common'));
    expect(await pages(['running'], 'sparse', 3)).toEqual(expected(['running'], 'sparse'));
    expect(await pages(['queued', 'finished'], 'sparse item3', 50)).toEqual(newestFirst.filter((a) => ['queued', 'finished'].includes(a.status) && a.title.includes('sparse') && a.title.endsWith('item3')).map((a) => a.id));
    expect(await pages(['preparing', 'running', 'finished'], 'item5', 1000)).toEqual(expected(['preparing', 'running', 'finished'], 'item5'));
    expect((await h.stores.agents.list({ workspace: 'T1', status: ['stopped'], text: 'common' })).agents).toEqual([]);
  });

  it('rebuilds every index from the stored records once, at start', async () => {
    const queued = await launch('fix the flaky test', alice);
    const done = await launch('write docs', bob);
    await h.service.transition(done.id, 'stopped');
    // Data from before the indexes: only records (and the old indexes) are there.
    const indexKeys = [...(await h.redis.keys(`${h.prefix}agents:status:*`)), ...(await h.redis.keys(`${h.prefix}agents:word:*`)), ...(await h.redis.keys(`${h.prefix}agents:active*`)), `${h.prefix}agents:index-version`];
    await h.redis.del(...indexKeys);
    expect(await h.stores.agents.activeCounts('T1', alice)).toEqual({ workspace: 0, owner: 0 });

    expect(await h.stores.agents.rebuildIndexes()).toBe(2);
    expect(await h.stores.agents.rebuildIndexes()).toBe(0);
    expect(await h.stores.agents.activeCounts('T1', alice)).toEqual({ workspace: 1, owner: 1 });
    expect(ids((await h.stores.agents.list({ workspace: 'T1', text: 'flaky' })).agents)).toEqual([queued.id]);
    expect(ids((await h.stores.agents.list({ workspace: 'T1', status: ['stopped'] })).agents)).toEqual([done.id]);
    expect(await h.redis.pttl(`${h.prefix}agents:status:T1:stopped`)).toBeGreaterThan(0);
  });
});
