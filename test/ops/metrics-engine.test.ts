import { describe, expect, it } from '@jest/globals';
import { defaultSettings } from '../../src/core/index.js';
import { startHttpServer } from '../../src/frontends/http/server.js';
import { PrometheusMetrics } from '../../src/metrics/prometheus.js';
import { silentLog } from '../support/core.js';
import { engineTestBed, pushToken } from '../support/engine.js';
import { proxyBed, startDestinations } from '../support/egress.js';
import { sample } from '../support/prometheus.js';
import { waitFor } from '../support/wait.js';

const bed = engineTestBed();
const call = (name: string, args: Record<string, unknown> | string) => ({ toolCalls: [{ name, arguments: args }] });

describe('/metrics while an agent runs', () => {
  it('counts the launch, the queue wait, the run, its model tokens and its allowed and denied egress requests', async () => {
    const destinations = await startDestinations();
    const proxy = proxyBed(destinations);
    const metrics = new PrometheusMetrics({ role: 'worker', processMetrics: false });
    const server = await startHttpServer({ host: '127.0.0.1', port: 0, log: silentLog, mounts: [], readiness: [], requestLog: false, metrics: { render: () => metrics.render(), contentType: metrics.contentType } });
    try {
      const url = await bed.gitServer.createRepo(`test/metrics-${process.pid}`, { 'README.md': '# net\n' }, { tokens: [pushToken] });
      const h = await bed.start(
        [
          { label: 'fetch', reply: call('run', { command: `curl -sS --max-time 10 http://registry.test:${destinations.httpPort}/ok; curl -sS --max-time 10 http://other.test:${destinations.httpPort}/blocked` }) },
          { label: 'finish', reply: call('finish', { summary: 'Fetched what I could.' }) },
        ],
        { egress: proxy.registry, metrics },
      );
      metrics.addSources({ agentsByStatus: () => h.core.stores.agents.statusCounts() });
      await h.core.stores.settings.set('T1', { ...defaultSettings(), networkAgent: 'allowlist', networkAllowlist: ['registry.test'] });
      const scrape = async () => {
        const response = await fetch(`${server.url}/metrics`);
        expect(response.status).toBe(200);
        expect(response.headers.get('content-type')).toContain('text/plain');
        return response.text();
      };
      const before = await scrape();
      expect(sample(before, 'errand_launches_total', { frontend: 'slack' })).toBe(0);

      const id = await h.launch({ text: `repo=${url} fetch the data` });
      expect((await h.waitForStatus(id, ['finished', 'failed'], 90_000)).status).toBe('finished');
      // The agent shows finished a moment before its job returns to the worker.
      await waitFor(async () => sample(await scrape(), 'errand_run_duration_seconds_count', { kind: 'run' }) === 1, { what: 'the run to be counted' });

      const after = await scrape();
      expect(sample(after, 'errand_launches_total', { frontend: 'slack', role: 'worker' })).toBe(1);
      expect(sample(after, 'errand_egress_requests_total', { decision: 'denied' })).toBe(1);
      expect(sample(after, 'errand_egress_requests_total', { decision: 'allowed' })).toBe(1);
      expect(sample(after, 'errand_model_tokens_total', { provider: 'openai', direction: 'input' })).toBeGreaterThan(0);
      expect(sample(after, 'errand_queue_wait_seconds_count')).toBe(1);
      expect(sample(after, 'errand_run_duration_seconds_count', { kind: 'run', outcome: 'completed' })).toBe(1);
      expect(sample(after, 'errand_agents', { status: 'finished' })).toBe(1);
      expect(sample(after, 'errand_agents', { status: 'queued' })).toBe(0);
    } finally {
      await server.close();
      await proxy.close();
      await destinations.close();
    }
  });
});
