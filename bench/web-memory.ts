/**
 * Does the web process keep memory it should not? Launches 20,000 agents through `POST /v0/agents`
 * (8 at a time) on Errand's HTTP server with the notification dispatcher running, as a `web`
 * process does, and compares heapUsed and RSS after a full GC at the end with the same figures
 * after a warm-up of 2,000 launches. Goal: within ±10 %.
 *
 *   npx tsx bench/web-memory.ts          (BENCH_QUICK=1: 100 + 200 launches)
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { pino } from 'pino';
import { NotifyDispatcher } from '../src/core/index.js';
import { launchBody, startApiRig } from './support/api-rig.js';
import { reportMetric, round } from './support/report.js';
import { quick } from './support/steady-load.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const warmUp = quick ? 100 : 2_000;
const launches = quick ? 200 : 20_000;
const concurrency = 8;
const rig = await startApiRig();
const dispatcher = new NotifyDispatcher({ ...rig.stores, notifiers: [], log: pino({ level: 'silent' }) });
await dispatcher.start();

let failed = 0;
async function launchMany(count: number): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < count) {
      const reply = await rig.call('POST', '/v0/agents', launchBody(`memory check ${next++}`));
      if (reply.status !== 201) failed++;
    }
  }));
}

async function settledMemory(): Promise<{ heap: number; rss: number }> {
  // Let timers and sockets of the last requests finish, then collect everything collectable.
  await new Promise((resolve) => setTimeout(resolve, 500));
  for (let i = 0; i < 3; i++) gc();
  const usage = process.memoryUsage();
  return { heap: usage.heapUsed / 1_048_576, rss: usage.rss / 1_048_576 };
}

try {
  await launchMany(warmUp);
  const before = await settledMemory();
  await launchMany(launches);
  const after = await settledMemory();
  for (const [name, was, now] of [['heapUsed', before.heap, after.heap], ['RSS', before.rss, after.rss]] as const) {
    const ratio = now / was;
    reportMetric({
      metric: `web ${name} after ${launches} launches (after GC)`, goal: 'within ±10 % of after warm-up', unit: 'MB',
      median: round(now, 1), p99: round(now, 1), n: launches, baseline: round(was, 1), baselineName: `after ${warmUp} launches`, ratio: round(ratio, 3), pass: ratio <= 1.1 && ratio >= 0.9 && failed === 0,
    });
  }
  if (failed) process.stdout.write(`  ${failed} launches failed\n`);
} finally {
  await dispatcher.close();
  await rig.close();
}
