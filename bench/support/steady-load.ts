/**
 * Open-loop load at a steady rate: request i is sent at start + i / rate whether or not earlier
 * ones were answered (a closed loop that waits for answers hides a server that falls behind, since
 * it slows down with it). Latency counts from the scheduled send time, so a client that could not
 * keep to the schedule shows up too.
 */
import { percentile, round } from './report.js';

export interface SteadyLoadResult {
  /** Answer times in ms, ascending (answered requests only, failed or not). */
  times: number[];
  sent: number;
  /** Requests that threw or that `send` said failed. */
  failed: number;
  /** Answers later than `lateMs` (Slack: 3 s, GitHub: 10 s). */
  late: number;
  median: number;
  p99: number;
}

/** BENCH_QUICK=1: every benchmark runs a short version that finishes in seconds (the bench test). */
export const quick = process.env['BENCH_QUICK'] === '1';

export async function steadyLoad(options: {
  rate: number;
  seconds: number;
  lateMs: number;
  /** Sends request i; resolves true when the answer is the expected one. */
  send: (i: number) => Promise<boolean>;
}): Promise<SteadyLoadResult> {
  const count = Math.max(1, Math.round(options.rate * options.seconds));
  const interval = 1000 / options.rate;
  const times: number[] = [];
  let failed = 0;
  let late = 0;
  const inFlight: Promise<void>[] = [];
  const start = performance.now();
  for (let i = 0; i < count; i++) {
    const due = start + i * interval;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    inFlight.push(
      options.send(i).then(
        (ok) => {
          const took = performance.now() - due;
          times.push(took);
          if (!ok) failed++;
          if (took > options.lateMs) late++;
        },
        () => {
          failed++;
        },
      ),
    );
  }
  await Promise.all(inFlight);
  times.sort((a, b) => a - b);
  return { times, sent: count, failed, late, median: round(percentile(times, 50)), p99: round(percentile(times, 99)) };
}

/** Closed loop, one at a time: for reads whose latency is the question (search, filters). */
export async function sequential(count: number, once: (i: number) => Promise<void>): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    await once(i);
    times.push(performance.now() - started);
  }
  return times.sort((a, b) => a - b);
}

/** The load every ack benchmark applies: 100 requests/s for 20 s (BENCH_QUICK: 1 s). */
export const ackLoad = { rate: 100, seconds: quick ? 1 : 20 };
