/**
 * One line per measured metric, so `npm run bench` can gather every benchmark's results into one
 * table. A benchmark calls `reportMetric` for each goal it measures (and may print anything else it
 * likes); bench/run.ts picks out the lines that start with `BENCH `.
 */
export interface BenchMetric {
  /** What was measured, e.g. `slack /agent ack at 100 req/s`. */
  metric: string;
  /** The goal in words, e.g. `p99 < 25 ms`. */
  goal: string;
  unit: 'ms' | 'MB' | 'count' | 'ratio' | 'per s';
  median: number;
  p99: number;
  n: number;
  /** The same-run baseline's median (e.g. GET /healthz, `docker run --rm`), when there is one. */
  baseline?: number;
  baselineName?: string;
  /** measured median / baseline median. */
  ratio?: number;
  pass: boolean;
}

export const benchLinePrefix = 'BENCH ';

export function reportMetric(metric: BenchMetric): void {
  process.stdout.write(`${benchLinePrefix}${JSON.stringify(metric)}\n`);
}

/** The p-th percentile of an ascending list (nearest rank). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export function round(value: number, digits = 2): number {
  return Number(value.toFixed(digits));
}
