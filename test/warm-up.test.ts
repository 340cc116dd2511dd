import { systemClock } from '../src/core/index.js';
import { warmHttp, warmLaunchPath, warmStoredLaunches } from '../src/frontends/warm-up.js';
import { warmQueuePath, warmUpQueueName } from '../src/queue/warm-up-queue.js';
import { apiHarnessPerTest, silent } from './api/harness.js';

describe('warming the launch path at start', () => {
  const h = apiHarnessPerTest();

  it('runs launches and API requests through the real path and leaves no agent, job or key behind', async () => {
    const keysBefore = (await h.api.keys.list()).map((k) => k.name).sort();
    const queuePrefix = h.prefix.replace(/:$/, '');
    await warmLaunchPath({ agents: h.agents, warmQueue: () => warmQueuePath(h.redis, queuePrefix, 5), scrubber: h.scrubber, log: silent }, 20);
    await warmHttp(h.url, silent, 3);

    expect((await h.agents.list({ workspace: 'errand-warm-up' })).agents).toEqual([]);
    expect((await h.agents.list({ workspace: 'api' })).agents).toEqual([]);
    expect(await h.redis.keys(`${queuePrefix}:${warmUpQueueName}:*`)).toEqual([]);
    expect((await h.redis.keys(`${queuePrefix}:runs:*`)).filter((k) => !k.endsWith(':meta'))).toEqual([]);
    expect((await h.api.keys.list()).map((k) => k.name).sort()).toEqual(keysBefore);

    // The server still launches normally afterwards.
    const launched = await h.call('POST', '/v0/agents', { key: h.keys.alice, body: { prompt: { text: 'fix it' }, source: { repository: 'acme/web' } } });
    expect(launched.status).toBe(201);
  });

  it('runs whole launches in a scratch space and deletes it, with the scratch keys a dead process left', async () => {
    const keys = async () => (await h.redis.keys(`${h.prefix}*`)).sort();
    const before = await keys();
    // What a web process that died during its warm-up left behind.
    await h.redis.set(`${h.prefix}scratch-left-by-a-crash:agent:ag_x`, '{}');
    expect(await warmStoredLaunches({ redis: h.redis, instancePrefix: h.prefix, clock: systemClock, scrubber: h.scrubber, log: silent }, 5)).toBe(5);
    expect(await keys()).toEqual(before);
    expect((await h.agents.list({ workspace: 'errand-warm-up' })).agents).toEqual([]);
    const launched = await h.call('POST', '/v0/agents', { key: h.keys.alice, body: { prompt: { text: 'fix it' }, source: { repository: 'acme/web' } } });
    expect(launched.status).toBe(201);
  });
});
