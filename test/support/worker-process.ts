// A run worker in a process of its own, so a test can kill it with SIGKILL mid-run. Started by
// spawnWorker (worker-process-control.ts) with its settings in ERRAND_TEST_WORKER (JSON).
import Docker from 'dockerode';
import pino from 'pino';
import { AgentService } from '../../src/core/index.js';
import { createRunHandler, type EngineDeps } from '../../src/engine/index.js';
import { ProviderRegistry } from '../../src/engine/providers/index.js';
import { PlainRemoteHost } from '../../src/git/plain-remote-host.js';
import { BullRunQueue } from '../../src/queue/run-queue.js';
import { RunWorker } from '../../src/queue/run-worker.js';
import { Scrubber } from '../../src/redact/scrubber.js';
import { connectRedis } from '../../src/redis/connect.js';
import { createRedisStores } from '../../src/store/redis/index.js';
import { testSandbox } from './docker.js';
import type { WorkerProcessSettings } from './worker-process-control.js';

const settings = JSON.parse(process.env.ERRAND_TEST_WORKER ?? '{}') as WorkerProcessSettings;
const log = pino({ level: process.env.ERRAND_TEST_WORKER_LOG ?? 'silent' });
const redis = await connectRedis(settings.redisUrl);
const clock = { now: () => new Date() };
const stores = createRedisStores(redis, { prefix: settings.prefix, clock, retentionDays: 3 });
const queue = new BullRunQueue(redis, settings.queueName, settings.prefix.replace(/:$/, ''));
queue.routeBy(stores.machineHosts);
const service = new AgentService({ ...stores, queue, clock, log, defaultModel: 'openai:test-model' });
const scrubber = new Scrubber();
scrubber.add(settings.pushToken);
const deps: EngineDeps = {
  agents: service,
  store: stores.agents,
  events: stores.events,
  inbox: stores.inbox,
  history: stores.history,
  models: new ProviderRegistry({
    config: {
      defaultModel: 'openai:test-model', models: [], openaiApiKey: 'sk-test-modelkey-0123456789abcdefghij', openaiBaseUrl: settings.modelUrl,
      anthropicApiKey: undefined, anthropicBaseUrl: undefined, modelEndpoints: {}, modelMaxRetries: 0, modelTimeoutMs: 60_000,
    },
  }),
  sandbox: testSandbox(settings.dockerHost ? new Docker({ socketPath: new URL(settings.dockerHost).pathname }) : new Docker()),
  repoHosts: [new PlainRemoteHost({ credentials: [{ urlPrefix: settings.gitUrl, token: settings.pushToken }] })],
  secrets: null,
  runLeases: stores.runLeases,
  scrubber,
  settings: {
    dataDir: settings.dataDir,
    limits: { maxSteps: 20, maxMs: 120_000, maxTokens: null },
    commandTimeoutMs: 60_000,
    bot: { name: 'Errand', email: 'errand@users.noreply.github.com' },
    leaseMs: settings.stalledIntervalMs,
  },
};
const handler = createRunHandler(deps);
const { host } = settings;
if (host) await stores.machineHosts.heartbeat(host, 600_000);
const worker = new RunWorker({
  connection: redis,
  // As the real worker does (src/main.ts): the host that runs an agent holds its machine.
  handler: async (name, payload, context) => {
    if (host) await stores.machineHosts.record(payload.agentId, host, 600_000);
    return handler(name, payload, context);
  },
  ...(host ? { host } : {}),
  stops: stores.stops,
  log,
  concurrency: 2,
  queueName: settings.queueName,
  prefix: settings.prefix.replace(/:$/, ''),
  stalledIntervalMs: settings.stalledIntervalMs,
});
await worker.start();
process.stdout.write('ready\n');
process.on('SIGTERM', () => {
  void worker.close().finally(() => process.exit(0));
});
