import type { StoredEvent } from '../../src/core/index.js';
import { coreHarness, type CoreHarness } from '../support/core.js';
import { waitFor } from '../support/wait.js';

describe('Redis event log', () => {
  let h: CoreHarness;
  beforeEach(async () => {
    h = await coreHarness();
  });
  afterEach(() => h.close());

  it('appends events in order and reads them from an offset', async () => {
    const log = h.stores.events;
    const first = await log.append('ag_aaaaaaaaaaaa', { type: 'status', status: 'queued' });
    await log.append('ag_aaaaaaaaaaaa', { type: 'log', phase: 'install', stream: 'stdout', text: 'npm ci' });
    await log.append('ag_aaaaaaaaaaaa', { type: 'model_message', text: 'looking at the test' });
    const all = await log.read('ag_aaaaaaaaaaaa');
    expect(all.map((e) => e.type)).toEqual(['status', 'log', 'model_message']);
    expect(all[0]).toMatchObject({ id: first.id, status: 'queued' });
    expect(typeof all[0]?.at).toBe('string');
    const after = await log.read('ag_aaaaaaaaaaaa', { after: first.id });
    expect(after.map((e) => e.type)).toEqual(['log', 'model_message']);
    expect(await log.read('ag_aaaaaaaaaaaa', { after: all[2]!.id })).toEqual([]);
  });

  it('follows new events live from where the reader left off, until aborted', async () => {
    const log = h.stores.events;
    const before = await log.append('ag_bbbbbbbbbbbb', { type: 'status', status: 'queued' });
    const controller = new AbortController();
    const seen: StoredEvent[] = [];
    const following = (async () => {
      for await (const event of log.follow('ag_bbbbbbbbbbbb', { after: before.id, signal: controller.signal })) seen.push(event);
    })();
    await log.append('ag_bbbbbbbbbbbb', { type: 'status', status: 'preparing' });
    await waitFor(() => seen.length === 1, { what: 'first live event' });
    await log.append('ag_bbbbbbbbbbbb', { type: 'status', status: 'running' });
    await waitFor(() => seen.length === 2, { what: 'second live event' });
    controller.abort();
    await following;
    expect(seen.map((e) => e.type === 'status' && e.status)).toEqual(['preparing', 'running']);
  });

  it('clears a transcript', async () => {
    await h.stores.events.append('ag_cccccccccccc', { type: 'model_message', text: 'secret plan' });
    await h.stores.events.clear('ag_cccccccccccc');
    expect(await h.stores.events.read('ag_cccccccccccc')).toEqual([]);
  });
});
