import { describe, expect, it } from '@jest/globals';
import { defaultSettings } from '../../src/core/index.js';
import { engineTestBed, pushToken } from '../support/engine.js';
import { proxyBed, startDestinations } from '../support/egress.js';

const bed = engineTestBed();
const call = (name: string, args: Record<string, unknown> | string) => ({ toolCalls: [{ name, arguments: args }] });

describe('an agent whose requests the egress proxy blocked', () => {
  it('lists them in the summary and the events, with how to allow them', async () => {
    const destinations = await startDestinations();
    const proxy = proxyBed(destinations);
    try {
      const url = await bed.gitServer.createRepo(`test/egress-summary-${process.pid}`, { 'README.md': '# net\n' }, { tokens: [pushToken] });
      const allowed = `http://registry.test:${destinations.httpPort}/ok`;
      const blocked = `http://other.test:${destinations.httpPort}/blocked`;
      const h = await bed.start(
        [
          { label: 'fetch', reply: call('run', { command: `curl -sS --max-time 10 ${allowed}; curl -sS --max-time 10 ${blocked}; curl -sS --max-time 10 ${blocked}` }) },
          { label: 'finish', expect: { lastMessageIncludes: "other.test is not in the workspace's network allowlist" }, reply: call('finish', { summary: 'Fetched what I could.' }) },
        ],
        { egress: proxy.registry },
      );
      await h.core.stores.settings.set('T1', { ...defaultSettings(), networkAgent: 'allowlist', networkAllowlist: ['registry.test'] });
      const id = await h.launch({ text: `repo=${url} fetch the data` });
      const agent = await h.waitForStatus(id, ['finished', 'failed'], 90_000);
      bed.model!.assertDone();
      expect(agent.status).toBe('finished');
      expect(agent.summary).toBe('Fetched what I could.\n\n2 network requests blocked (other.test) — allow with `errand settings set networkAllowlist=…,other.test` or on the dashboard\'s Settings page.');
      const egress = (await h.events(id)).filter((event) => event.type === 'egress');
      expect(egress.map((event) => [event.host, event.allowed, event.phase])).toEqual([
        ['registry.test', true, 'agent'],
        ['other.test', false, 'agent'],
        ['other.test', false, 'agent'],
      ]);
      const summary = (await h.events(id)).find((event) => event.type === 'summary');
      expect(summary?.type === 'summary' && summary.text).toContain('2 network requests blocked');
    } finally {
      await proxy.close();
      await destinations.close();
    }
  });
});
