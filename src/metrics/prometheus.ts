import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Metrics } from '../core/index.js';

/** Where the scrape-time gauges come from: read once per scrape, never by scanning records. */
export interface GaugeSources {
  /** Kept agents per status (counters the agent store moves on each status change). */
  agentsByStatus?: () => Promise<Record<string, number>>;
  /** Jobs per state (`waiting`, `active`, `delayed`, `failed`…) for each queue. */
  queueCounts?: () => Promise<Record<string, Record<string, number>>>;
}

const secondsBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const longBuckets = [1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200];

/**
 * Errand's metrics in Prometheus form, in a registry of this process's own (no global state, so
 * tests and several Errands in one process stay apart). `GET /metrics` serves `render()`.
 */
export class PrometheusMetrics implements Metrics {
  readonly registry = new Registry();
  private readonly launches: Counter<'frontend'>;
  private readonly queueWaitSeconds: Histogram;
  private readonly runSeconds: Histogram<'kind' | 'outcome'>;
  private readonly tokens: Counter<'provider' | 'direction'>;
  private readonly modelErrors: Counter<'provider' | 'code'>;
  private readonly apiErrors: Counter<'platform' | 'code'>;
  private readonly rateLimitWaits: Counter<'platform'>;
  private readonly rateLimitWaitSeconds: Counter<'platform'>;
  private readonly egress: Counter<'decision'>;
  private readonly requestSeconds: Histogram<'frontend' | 'status'>;
  private readonly sources: GaugeSources[] = [];

  constructor(options: { role?: string; processMetrics?: boolean } = {}) {
    const registers = [this.registry];
    if (options.role) this.registry.setDefaultLabels({ role: options.role });
    if (options.processMetrics ?? true) collectDefaultMetrics({ register: this.registry, prefix: 'errand_' });
    this.launches = new Counter({ name: 'errand_launches_total', help: 'Agents launched, by front end (slack, github, api).', labelNames: ['frontend'], registers });
    this.queueWaitSeconds = new Histogram({ name: 'errand_queue_wait_seconds', help: 'Time a job waited in the queue before a worker took it.', buckets: longBuckets, registers });
    this.runSeconds = new Histogram({ name: 'errand_run_duration_seconds', help: 'Time a worker spent on one job, by kind (run, resume, salvage) and outcome.', labelNames: ['kind', 'outcome'], buckets: longBuckets, registers });
    this.tokens = new Counter({ name: 'errand_model_tokens_total', help: 'Model tokens used, by provider and direction (input, output).', labelNames: ['provider', 'direction'], registers });
    this.modelErrors = new Counter({ name: 'errand_model_errors_total', help: 'Model calls that failed after their retries, by provider and error code.', labelNames: ['provider', 'code'], registers });
    this.apiErrors = new Counter({ name: 'errand_platform_api_errors_total', help: 'Slack and GitHub API calls that failed, by platform and error code.', labelNames: ['platform', 'code'], registers });
    this.rateLimitWaits = new Counter({ name: 'errand_rate_limit_waits_total', help: 'Slack and GitHub API calls told to wait by a rate limit.', labelNames: ['platform'], registers });
    this.rateLimitWaitSeconds = new Counter({ name: 'errand_rate_limit_wait_seconds_total', help: 'Seconds Slack and GitHub rate limits asked Errand to wait.', labelNames: ['platform'], registers });
    this.egress = new Counter({ name: 'errand_egress_requests_total', help: "Agents' requests through the egress proxy, by decision (allowed, denied).", labelNames: ['decision'], registers });
    this.requestSeconds = new Histogram({
      name: 'errand_http_ack_seconds', help: 'Time to answer an HTTP request (the acknowledgement for webhooks), by front end and status class.', labelNames: ['frontend', 'status'], buckets: secondsBuckets, registers,
    });
    const sources = this.sources;
    new Gauge({
      name: 'errand_agents', help: 'Kept agents by status (expired ones are not counted).', labelNames: ['status'], registers,
      async collect() {
        for (const source of sources) {
          if (!source.agentsByStatus) continue;
          for (const [status, count] of Object.entries(await source.agentsByStatus())) this.set({ status }, count);
        }
      },
    });
    new Gauge({
      name: 'errand_queue_jobs', help: 'Jobs in each queue by state (waiting, active, delayed, prioritized, failed).', labelNames: ['queue', 'state'], registers,
      async collect() {
        for (const source of sources) {
          if (!source.queueCounts) continue;
          for (const [queue, counts] of Object.entries(await source.queueCounts())) {
            for (const [state, count] of Object.entries(counts)) this.set({ queue, state }, count);
          }
        }
      },
    });
  }

  /** Adds where the scrape-time gauges read from (the web and worker roles each add theirs). */
  addSources(sources: GaugeSources): void {
    this.sources.push(sources);
  }

  launched(frontend: string): void {
    this.launches.inc({ frontend });
  }

  queueWait(seconds: number): void {
    this.queueWaitSeconds.observe(Math.max(seconds, 0));
  }

  runDuration(kind: string, outcome: 'completed' | 'failed' | 'requeued', seconds: number): void {
    this.runSeconds.observe({ kind, outcome }, Math.max(seconds, 0));
  }

  modelTokens(provider: string, input: number, output: number): void {
    this.tokens.inc({ provider, direction: 'input' }, input);
    this.tokens.inc({ provider, direction: 'output' }, output);
  }

  modelError(provider: string, code: string): void {
    this.modelErrors.inc({ provider, code });
  }

  platformApiError(platform: 'slack' | 'github', code: string): void {
    this.apiErrors.inc({ platform, code });
  }

  rateLimitWait(platform: 'slack' | 'github', seconds: number): void {
    this.rateLimitWaits.inc({ platform });
    this.rateLimitWaitSeconds.inc({ platform }, Math.max(seconds, 0));
  }

  egressRequest(allowed: boolean): void {
    this.egress.inc({ decision: allowed ? 'allowed' : 'denied' });
  }

  /** One answered HTTP request: the front end is named by its path (see frontendOfPath). */
  httpRequest(path: string, status: number, seconds: number): void {
    this.requestSeconds.observe({ frontend: frontendOfPath(path), status: `${Math.floor(status / 100)}xx` }, seconds);
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}

/** The front end an HTTP path belongs to, for the ack-latency histogram (a fixed, small set). */
export function frontendOfPath(path: string): string {
  if (path.startsWith('/slack')) return 'slack';
  if (path.startsWith('/github') || path.startsWith('/api/github')) return 'github';
  if (path.startsWith('/v0') || path.startsWith('/v1')) return 'api';
  if (path === '/healthz' || path === '/readyz' || path === '/metrics') return 'health';
  return 'dashboard';
}
