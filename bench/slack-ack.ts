/**
 * How fast Errand acknowledges `/agent` (Slack gives up after 3 s; we aim for milliseconds).
 * Sends signed slash commands to the real Bolt app on Errand's HTTP server (a local Redis, a fake
 * Slack Web API on 127.0.0.1), N requests at concurrency C, and reports median and p99 of the time
 * until the HTTP answer (the ack), against a baseline measured in the same run: GET /healthz on the
 * same server at the same concurrency.
 *
 *   npx tsx bench/slack-ack.ts [requests=200] [concurrency=10]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { AgentService, SettingsService, systemClock } from '../src/core/index.js';
import { startHttpServer } from '../src/frontends/http/server.js';
import { createSlackFrontend, slackEventsPath } from '../src/frontends/slack/slack-frontend.js';
import { BullRunQueue } from '../src/queue/run-queue.js';
import { connectRedis } from '../src/redis/connect.js';
import { startLocalRedis } from '../src/redis/local-server.js';
import { createRedisStores } from '../src/store/redis/index.js';
import { FakeSlack } from '../test/support/fake-slack.js';
import { postSigned, slashCommandBody } from '../test/support/slack-requests.js';

const requests = Number(process.argv[2] ?? 200);
const concurrency = Number(process.argv[3] ?? 10);
const secret = 'bench-secret';
const log = pino({ level: 'silent' });

async function measure(count: number, parallel: number, once: (i: number) => Promise<void>): Promise<number[]> {
  const times: number[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < count) {
        const i = next++;
        const started = process.hrtime.bigint();
        await once(i);
        times.push(Number(process.hrtime.bigint() - started) / 1e6);
      }
    }),
  );
  return times.sort((a, b) => a - b);
}

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'errand-bench-'));
  const redisServer = await startLocalRedis({ dir });
  const redis = await connectRedis(redisServer.url);
  const slack = await new FakeSlack().start();
  slack.addChannel('C1');
  slack.addUser({ id: 'U1', name: 'ada' });
  const stores = createRedisStores(redis, { prefix: 'bench:', clock: systemClock, retentionDays: 1 });
  const queue = new BullRunQueue(redis, 'runs', 'bench');
  await stores.settings.set('T1', { ...(await stores.settings.get('T1')), maxConcurrentPerWorkspace: 1000, maxConcurrentPerPerson: 1000 });
  const agents = new AgentService({ ...stores, queue, clock: systemClock, log, defaultModel: 'openai:bench' });
  const frontend = await createSlackFrontend({
    botToken: slack.token, signingSecret: secret, apiUrl: slack.apiUrl, agents, settings: stores.settings, settingsAdmin: new SettingsService({ settings: stores.settings, audit: stores.audit, log }), dedup: stores.dedup,
    state: stores.slack, log,
  });
  const http = await startHttpServer({ host: '127.0.0.1', port: 0, log, mounts: [frontend.mount!] });
  const url = `${http.url}${slackEventsPath}`;
  try {
    // Warm up both paths (JIT, connections) before measuring.
    await measure(20, concurrency, async () => void (await fetch(`${http.url}/healthz`)).text());
    await measure(20, concurrency, async (i) => {
      await postSigned(url, slashCommandBody({ text: `repo=acme/app warm up ${i}`, responseUrl: slack.responseUrl(`w${i}`) }), 'application/x-www-form-urlencoded', { secret });
    });

    const baseline = await measure(requests, concurrency, async () => void (await fetch(`${http.url}/healthz`)).text());
    const acks = await measure(requests, concurrency, async (i) => {
      const response = await postSigned(url, slashCommandBody({ text: `repo=acme/app fix bug ${i}`, responseUrl: slack.responseUrl(String(i)) }), 'application/x-www-form-urlencoded', { secret });
      if (response.status !== 200 || response.body !== '') throw new Error(`unexpected answer ${response.status} ${response.body}`);
    });
    // Launches finish after their ack (the root message, then the store): wait for all of them.
    const expected = requests + 20;
    const deadline = Date.now() + 30_000;
    let launched = 0;
    while ((launched = (await agents.list({ workspace: 'T1', limit: 1000 })).agents.length) < expected && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const result = {
      requests, concurrency, agentsLaunched: launched,
      ackMs: { median: +pct(acks, 50).toFixed(2), p99: +pct(acks, 99).toFixed(2), max: +acks.at(-1)!.toFixed(2) },
      healthzBaselineMs: { median: +pct(baseline, 50).toFixed(2), p99: +pct(baseline, 99).toFixed(2) },
      ratioMedian: +(pct(acks, 50) / pct(baseline, 50)).toFixed(1),
    };
    console.log(JSON.stringify(result, null, 2));
  } finally {
    await http.close();
    await frontend.stop();
    await slack.stop();
    await queue.close();
    await redis.quit();
    await redisServer.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
