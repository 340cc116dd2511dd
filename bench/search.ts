/**
 * Search and status filters at 10,000 agents: `GET /v0/agents?q=<rare word>`, `?status=RUNNING`
 * and `?status=CREATING&q=<common word>` through the API, one at a time, against GET /healthz
 * one at a time in the same run. They read Redis indexes, so the time should not grow with the
 * number of agents.
 *
 *   npx tsx bench/search.ts          (BENCH_QUICK=1: 500 agents, 20 searches each)
 */
import { percentile, reportMetric, round } from './support/report.js';
import { launchBody, startApiRig } from './support/api-rig.js';
import { rareWord, seedQueuedAgents } from './support/seed-agents.js';
import { quick, sequential } from './support/steady-load.js';

const agentsCount = quick ? 500 : 10_000;
const searches = quick ? 20 : 300;
const goalMs = 20;
const rig = await startApiRig();

try {
  // A few agents the searches should find: one with a rare word, a handful running.
  const rare = await rig.call('POST', '/v0/agents', launchBody(`investigate the ${rareWord} outage`));
  const template = (await rig.agents.get(String(rare.json['id'])))!;
  for (let i = 0; i < 5; i++) {
    const launched = await rig.call('POST', '/v0/agents', launchBody(`running task ${i}`));
    await rig.agents.transition(String(launched.json['id']), 'preparing');
    await rig.agents.transition(String(launched.json['id']), 'running');
  }
  await seedQueuedAgents(rig.stores.agents, template, agentsCount);

  const healthz = await sequential(searches, async () => void (await fetch(`${rig.url}/healthz`).then((r) => r.arrayBuffer())));
  const cases: [string, string, (json: Record<string, unknown>) => boolean][] = [
    [`search for a rare word at ${agentsCount} agents`, `/v0/agents?q=${rareWord}`, (json) => (json['agents'] as unknown[]).length === 1],
    [`status=RUNNING at ${agentsCount} agents`, '/v0/agents?status=RUNNING', (json) => (json['agents'] as unknown[]).length === 5],
    [`status=CREATING and a common word at ${agentsCount} agents`, '/v0/agents?status=CREATING&q=login&limit=20', (json) => (json['agents'] as unknown[]).length === 20],
  ];
  for (const [metric, path, expected] of cases) {
    let wrong = 0;
    const times = await sequential(searches, async () => {
      const reply = await rig.call('GET', path);
      if (reply.status !== 200 || !expected(reply.json)) wrong++;
    });
    const p99 = round(percentile(times, 99));
    reportMetric({
      metric, goal: `p99 < ${goalMs} ms`, unit: 'ms', median: round(percentile(times, 50)), p99, n: times.length,
      baseline: round(percentile(healthz, 50)), baselineName: 'GET /healthz, one at a time', ratio: round(percentile(times, 50) / percentile(healthz, 50)), pass: p99 < goalMs && wrong === 0,
    });
    if (wrong) process.stdout.write(`  ${metric}: ${wrong} wrong answers\n`);
  }
} finally {
  await rig.close();
}
