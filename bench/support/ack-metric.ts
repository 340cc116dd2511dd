import { reportMetric } from './report.js';
import type { SteadyLoadResult } from './steady-load.js';

export const ackGoalMs = 25;

/** One acknowledgement metric: p99 under 25 ms at the rate, nothing failed or late, against GET /healthz. */
export function reportAck(metric: string, acks: SteadyLoadResult, healthz: SteadyLoadResult): void {
  reportMetric({
    metric,
    goal: `p99 < ${ackGoalMs} ms, none failed or late`,
    unit: 'ms',
    median: acks.median,
    p99: acks.p99,
    n: acks.sent,
    baseline: healthz.median,
    baselineName: 'GET /healthz at the same rate',
    ratio: Number((acks.median / Math.max(healthz.median, 0.01)).toFixed(2)),
    pass: acks.p99 < ackGoalMs && acks.failed === 0 && acks.late === 0 && acks.times.length === acks.sent,
  });
  if (acks.failed || acks.late) process.stdout.write(`  ${metric}: ${acks.failed} failed, ${acks.late} late of ${acks.sent}\n`);
}
