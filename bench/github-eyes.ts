/**
 * 👀 under a burst: 25 signed mentions in one installation at once (BENCH_QUICK=1: 3), with
 * Probot's write throttling ON (one write a second per installation, 3 s between notifying
 * comments) and the notification dispatcher posting tracking comments. Reports how long after its
 * webhook each comment's 👀 and its issue's tracking comment reached the fake GitHub. Baseline: the
 * throttle's floor for the 👀 alone (half the burst, in seconds: one write a second).
 *
 *   npx tsx bench/github-eyes.ts
 */
import { NotifyDispatcher } from '../src/core/index.js';
import { percentile, reportMetric, round } from './support/report.js';
import { startGitHubRig } from './support/github-rig.js';
import { quick } from './support/steady-load.js';

const rig = await startGitHubRig({ throttle: true });
const { stores, github, log } = rig;
const fake = rig.fake!;
const dispatcher = new NotifyDispatcher({ ...stores, notifiers: [github.notifier], log, intervalMs: 20, sweepMs: 60_000 });
await dispatcher.start();
const burst = quick ? 3 : 25;
const sent: number[] = [];
try {
  await Promise.all(Array.from({ length: burst }, async (_, i) => {
    const raw = rig.comment(9000 + i, 500 + i, `@errand fix bug ${i}`);
    sent[i] = Date.now();
    await rig.deliver(raw);
  }));
  const deadline = Date.now() + 180_000;
  const tracking = () => fake.calls.filter((c) => c.method === 'POST' && /\/issues\/\d+\/comments$/.test(c.path));
  while (Date.now() < deadline && (fake.reactions.length < burst || tracking().length < burst)) await new Promise((r) => setTimeout(r, 200));
  const eyes = fake.calls.filter((c) => c.path.endsWith('/reactions')).map((c) => c.at - sent[Number(/comments\/(\d+)\/reactions/.exec(c.path)![1]) - 9000]!).sort((a, b) => a - b);
  const comments = tracking().map((c) => c.at - sent[Number(/issues\/(\d+)\/comments/.exec(c.path)![1]) - 500]!).sort((a, b) => a - b);
  const floor = (burst / 2) * 1000;
  reportMetric({
    metric: `👀 after a burst of ${burst} mentions (throttled)`, goal: 'at the throttle floor, before other writes', unit: 'ms',
    median: round(percentile(eyes, 50)), p99: round(percentile(eyes, 99)), n: eyes.length, baseline: floor, baselineName: 'one write a second', ratio: round(percentile(eyes, 50) / floor), pass: eyes.length === burst && percentile(eyes, 50) <= floor * 1.5,
  });
  reportMetric({ metric: `tracking comment after a burst of ${burst} mentions (throttled)`, goal: 'one per issue', unit: 'ms', median: round(percentile(comments, 50)), p99: round(percentile(comments, 99)), n: comments.length, pass: comments.length === burst });
} finally {
  await dispatcher.close();
  await rig.close();
}
