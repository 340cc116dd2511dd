/**
 * How fast Errand acknowledges Slack under load (Slack gives up after 3 s; we aim for
 * milliseconds). Signed `/agent` slash commands and `app_mention` events go to the real Bolt app
 * on Errand's HTTP server (a local Redis) at a steady 100 requests/s for 20 s, open loop, then
 * again with 10,000 queued agents in the store. Baseline: GET /healthz on the same server at the
 * same rate, in the same run. The answer comes once the request is queued; its job launches the
 * agent: every accepted request must end up as a stored agent (counted after the jobs ran).
 *
 * Layout, as production runs it (docker-compose.yml: a web and a worker service): this process is
 * the web role (the Slack front end answering, and the benchmark's client); the trigger jobs run in
 * a second process (bench/support/trigger-worker.ts, as the worker role runs them), with the fake
 * Slack Web API they call, which stands for Slack. One more phase measures the `all` layout: the
 * jobs in this process too (the fake Slack stays in the second process).
 *
 *   npx tsx bench/slack-ack.ts          (BENCH_QUICK=1: 1 s per phase and 500 queued agents)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { AgentService, SettingsService, systemClock } from '../src/core/index.js';
import { startHttpServer } from '../src/frontends/http/server.js';
import { createSlackFrontend, slackEventsPath } from '../src/frontends/slack/slack-frontend.js';
import { BullRunQueue } from '../src/queue/run-queue.js';
import { SlackTriggerQueue } from '../src/queue/slack-trigger-queue.js';
import { connectRedis } from '../src/redis/connect.js';
import { startLocalRedis } from '../src/redis/local-server.js';
import { createRedisStores } from '../src/store/redis/index.js';
import { botUserId } from '../test/support/fake-slack.js';
import { eventBody, postSigned, slashCommandBody } from '../test/support/slack-requests.js';
import { reportAck } from './support/ack-metric.js';
import { gcLine, watchGc } from './support/gc-watch.js';
import { seedQueuedAgents } from './support/seed-agents.js';
import { ackLoad, quick, steadyLoad } from './support/steady-load.js';
import { benchSlack } from './support/worker-messages.js';
import { processCpuMs, startTriggerWorker } from './support/worker-process.js';

const secret = benchSlack.secret;
const slackLateMs = 3_000;
const queued = quick ? 500 : 10_000;
const log = pino({ level: 'silent' });

const dir = mkdtempSync(join(tmpdir(), 'errand-bench-'));
const redisServer = await startLocalRedis({ dir });
const redis = await connectRedis(redisServer.url);
const redisPid = Number(/process_id:(\d+)/.exec(await redis.info('server'))![1]);
const stores = createRedisStores(redis, { prefix: 'bench:', clock: systemClock, retentionDays: 1 });
const queue = new BullRunQueue(redis, 'runs', 'bench');
await stores.settings.set('T1', { ...(await stores.settings.get('T1')), maxConcurrentPerWorkspace: 1000, maxConcurrentPerPerson: 1000 });
const worker = await startTriggerWorker<{ apiUrl: string; token: string; respondBase: string }>('slack', redisServer.url);
const slack = worker.ready;
const agents = new AgentService({ ...stores, queue, clock: systemClock, log, defaultModel: 'openai:bench' });
const triggers = new SlackTriggerQueue(redis, 'bench');
const frontend = await createSlackFrontend({
  botToken: slack.token, signingSecret: secret, apiUrl: slack.apiUrl, agents, settings: stores.settings,
  settingsAdmin: new SettingsService({ settings: stores.settings, audit: stores.audit, log }), dedup: stores.dedup, state: stores.slack, triggers, log,
});
// The web role's side: answers only; the jobs run in the worker process.
await frontend.start();
const http = await startHttpServer({ host: '127.0.0.1', port: 0, log, mounts: [frontend.mount!] });
const url = `${http.url}${slackEventsPath}`;
let sent = 0;
/** Requests answered 200: each must become an agent (a failed answer may not have been queued). */
let accepted = 0;
let seeded = 0;

const healthz = () => steadyLoad({ ...ackLoad, lateMs: slackLateMs, send: async () => (await fetch(`${http.url}/healthz`).then(async (r) => (await r.arrayBuffer(), r.ok))) });
const commands = () =>
  steadyLoad({
    ...ackLoad, lateMs: slackLateMs,
    send: async () => {
      const i = sent++;
      const response = await postSigned(url, slashCommandBody({ text: `repo=acme/app fix bug ${i}`, responseUrl: `${slack.respondBase}${i}` }), 'application/x-www-form-urlencoded', { secret });
      if (response.status === 200) accepted++;
      return response.status === 200 && response.body === '';
    },
  });
const mentions = () =>
  steadyLoad({
    ...ackLoad, lateMs: slackLateMs,
    send: async () => {
      const i = sent++;
      const event = { type: 'app_mention', channel: 'C1', user: 'U1', text: `<@${botUserId}> repo=acme/app fix bug ${i}`, ts: `1800000000.${String(i).padStart(6, '0')}`, team: 'T1' };
      const response = await postSigned(url, eventBody(event), 'application/json', { secret });
      if (response.status === 200) accepted++;
      return response.status === 200;
    },
  });

/**
 * Runs one measured phase and prints the CPU each process used during it (this one, the worker
 * process, redis-server), and how long after the last answer its jobs were done.
 */
async function phase<T>(run: () => Promise<T>): Promise<T> {
  const before = { web: process.cpuUsage(), worker: worker.cpuMs(), redis: processCpuMs(redisPid) };
  const gc = watchGc();
  const result = await run();
  const gcStats = await gc.stop();
  const answered = performance.now();
  const stored = await settled(accepted + seeded);
  const web = process.cpuUsage(before.web);
  process.stdout.write(`  sent ${sent}, accepted ${accepted}${seeded ? ` + ${seeded} seeded` : ''}, agents stored ${stored} (jobs done ${Math.round(performance.now() - answered)} ms after the last answer); CPU ms: web ${Math.round((web.user + web.system) / 1000)}, worker ${worker.cpuMs() - before.worker}, redis ${processCpuMs(redisPid) - before.redis}; web ${gcLine(gcStats)}\n`);
  return result;
}

/** Launches run as jobs after their ack: wait until every accepted request is a stored agent. */
async function settled(expected: number): Promise<number> {
  const deadline = Date.now() + 300_000;
  let launched = 0;
  while ((launched = await redis.zcard('bench:agents:ws:T1')) < expected && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  return launched;
}

try {
  // Warm up both processes (JIT, connections) before measuring: the goal is the steady state.
  await steadyLoad({ rate: 50, seconds: 0.5, lateMs: slackLateMs, send: async () => (await fetch(`${http.url}/healthz`)).ok });
  await steadyLoad({
    rate: 50, seconds: quick ? 1 : 4, lateMs: slackLateMs,
    send: async () => {
      const ok = (await postSigned(url, slashCommandBody({ text: `repo=acme/app warm up ${sent++}`, responseUrl: `${slack.respondBase}w` }), 'application/x-www-form-urlencoded', { secret })).status === 200;
      if (ok) accepted++;
      return ok;
    },
  });
  await settled(accepted);

  const base = await healthz();
  reportAck('slack /agent ack at 100 req/s', await phase(commands), base);

  // Role `all`: the jobs move into this process (the fake Slack stays where it is).
  await worker.jobs(false);
  await frontend.startJobs();
  const baseAll = await healthz();
  reportAck('slack /agent ack at 100 req/s, one process (role all)', await phase(commands), baseAll);
  await triggers.stopWorker();
  await worker.jobs(true);

  const baseMentions = await healthz();
  reportAck('slack @mention ack at 100 req/s', await phase(mentions), baseMentions);

  const template = (await agents.list({ workspace: 'T1', limit: 1 })).agents[0]!;
  await seedQueuedAgents(stores.agents, template, queued);
  seeded = queued;
  const baseQueued = await healthz();
  reportAck(`slack /agent ack at 100 req/s, ${queued} queued`, await phase(commands), baseQueued);
} finally {
  await http.close();
  await frontend.stop();
  await triggers.close();
  await worker.close();
  await queue.close();
  await redis.quit();
  await redisServer.stop();
  rmSync(dir, { recursive: true, force: true });
}
