import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Docker from 'dockerode';
import type { Agent, AgentStatus, Conversation, EgressGateway, Metrics, Principal, RepoHost, StoredEvent } from '../../src/core/index.js';
import { createRunHandler, type EngineDeps, type EngineSettings } from '../../src/engine/index.js';
import { ProviderRegistry } from '../../src/engine/providers/index.js';
import { measuredModels } from '../../src/engine/providers/measured.js';
import { PlainRemoteHost } from '../../src/git/plain-remote-host.js';
import { RunWorker } from '../../src/queue/run-worker.js';
import { Scrubber } from '../../src/redact/scrubber.js';
import { DockerSandbox } from '../../src/sandbox/docker/docker-sandbox.js';
import { EnvKeyProvider } from '../../src/secrets/index.js';
import { RedisSecretStore } from '../../src/store/redis/index.js';
import { coreHarness, silentLog, type CoreHarness } from './core.js';
import { testDocker, testSandbox } from './docker.js';
import type { FakeModelServer } from './fake-model-script.js';
import { startFakeOpenAi, type FakeStep } from './fake-openai.js';
import { GitServer } from './git-server.js';
import { waitFor } from './wait.js';

/** The model key the worker holds; it must never reach a container or an event. */
export const modelKey = 'sk-test-modelkey-0123456789abcdefghij';
/** The push token for plain remotes on the test git server. */
export const pushToken = 'push-token-0123456789-do-not-leak';

export interface EngineHarness {
  core: CoreHarness;
  deps: EngineDeps;
  worker: RunWorker;
  dataDir: string;
  agentIds: string[];
  /** Launches through the real core (store, queue) and returns the agent id. */
  launch(input: { text: string; principal?: Principal; conversation?: Conversation; impliedRepo?: string; envVars?: Record<string, string> }): Promise<string>;
  agent(id: string): Promise<Agent>;
  waitForStatus(id: string, statuses: AgentStatus[], timeoutMs?: number): Promise<Agent>;
  events(id: string): Promise<StoredEvent[]>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  model: FakeModelServer;
  docker: Docker;
  gitServer: GitServer;
  /** Extra repo hosts tried before the plain remote host (a GitHub host on the fake). */
  hosts?: RepoHost[];
  settings?: Partial<EngineSettings>;
  sandbox?: DockerSandbox;
  /** Wires an encrypted secret store sharing the engine's scrubber. */
  secrets?: boolean;
  /** False: no queue worker runs; the test calls the handler itself. */
  worker?: boolean;
  /** The egress proxy; the workspace settings in the core's store then decide the policy. */
  egress?: EgressGateway;
  /** Counted by the core, the engine (models, egress) and the worker. */
  metrics?: Metrics;
}

/** The engine settings a test may override. */
export type EngineHarnessSettings = Partial<EngineSettings>;

export const ada: Principal = { kind: 'slack', workspace: 'T1', id: 'U1', name: 'Ada Lovelace', email: 'ada@example.com' };
export const thread: Conversation = { kind: 'slack', teamId: 'T1', channelId: 'C1', threadTs: '1700000000.000100', external: false };

/** The real core, queue and worker with the engine on a real Docker and git server, and a scripted model. */
export async function engineHarness(options: HarnessOptions): Promise<EngineHarness> {
  const scrubber = new Scrubber();
  const keyProvider = options.secrets ? new EnvKeyProvider({ ERRAND_MASTER_KEY: randomBytes(32).toString('base64') }) : null;
  const core = await coreHarness({ defaultModel: 'openai:test-model', ...(keyProvider ? { keyProvider, scrubber } : {}), ...(options.metrics ? { metrics: options.metrics } : {}) });
  const dataDir = await mkdtemp(join(tmpdir(), 'errand-engine-'));
  scrubber.add(pushToken);
  scrubber.add(modelKey);
  const models = new ProviderRegistry({
    config: {
      defaultModel: 'openai:test-model', models: [], openaiApiKey: modelKey, openaiBaseUrl: options.model.baseUrl,
      anthropicApiKey: undefined, anthropicBaseUrl: undefined, modelEndpoints: {}, modelMaxRetries: 0, modelTimeoutMs: 60_000,
    },
  });
  const secrets = keyProvider ? new RedisSecretStore(core.redis, core.stores.keys, keyProvider, scrubber, core.clock) : null;
  const deps: EngineDeps = {
    agents: core.service,
    store: core.stores.agents,
    events: core.stores.events,
    inbox: core.stores.inbox,
    history: core.stores.history,
    diffs: core.stores.diffs,
    models: options.metrics ? measuredModels(models, options.metrics) : models,
    ...(options.metrics ? { metrics: options.metrics } : {}),
    sandbox: options.sandbox ?? testSandbox(options.docker),
    repoHosts: [...(options.hosts ?? []), new PlainRemoteHost({ credentials: [{ urlPrefix: options.gitServer.url, token: pushToken }] })],
    secrets,
    sessionEnv: core.stores.sessionEnv ?? null,
    artifacts: core.stores.artifacts,
    runLeases: core.stores.runLeases,
    scrubber,
    ...(options.egress ? { egress: options.egress, workspaceSettings: core.stores.settings } : {}),
    settings: {
      dataDir,
      limits: { maxSteps: 20, maxMs: 120_000, maxTokens: null },
      commandTimeoutMs: 60_000,
      bot: { name: 'Errand', email: 'errand@users.noreply.github.com' },
      publicUrl: 'https://errand.example.com',
      ...options.settings,
    },
  };
  const worker = new RunWorker({
    connection: core.redis,
    handler: createRunHandler(deps),
    stops: core.stores.stops,
    log: silentLog,
    concurrency: 4,
    queueName: 'runs',
    prefix: core.prefix.replace(/:$/, ''),
    ...(options.metrics ? { metrics: options.metrics } : {}),
  });
  if (options.worker !== false) await worker.start();
  const agentIds: string[] = [];

  const harness: EngineHarness = {
    core, deps, worker, dataDir, agentIds,
    async launch(input) {
      const { agent } = await core.service.launch({
        principal: input.principal ?? ada,
        workspace: (input.principal ?? ada).workspace,
        conversation: input.conversation ?? thread,
        text: input.text,
        ...(input.impliedRepo ? { impliedRepo: input.impliedRepo } : {}),
        ...(input.envVars ? { envVars: input.envVars } : {}),
      });
      agentIds.push(agent.id);
      return agent.id;
    },
    async agent(id) {
      const agent = await core.stores.agents.get(id);
      if (!agent) throw new Error(`no agent ${id}`);
      return agent;
    },
    waitForStatus(id, statuses, timeoutMs = 60_000) {
      return waitFor(
        async () => {
          const agent = await harness.agent(id);
          return statuses.includes(agent.status) ? agent : undefined;
        },
        { timeoutMs, what: `agent ${id} to be ${statuses.join(' or ')}` },
      );
    },
    events: (id) => core.stores.events.read(id),
    async close() {
      await worker.close(true);
      for (const id of agentIds) {
        await deps.sandbox.remove(id).catch(() => undefined);
        // Snapshot images outlive their agent by design (the next agent of the repo reuses them); a test's don't.
        for (const image of await options.docker.listImages({ filters: { label: [`errand.agent=${id}`] } })) {
          await options.docker.getImage(image.Id).remove({ force: true }).catch(() => undefined);
        }
      }
      await core.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
  return harness;
}

/** Every event of an agent as one string, for "the secret is nowhere" checks. */
export function eventText(events: StoredEvent[]): string {
  return events.map((event) => JSON.stringify(event)).join('\n');
}

/** The lifecycle an engine test file shares: one git server per file, a fresh model and harness per test. */
export interface EngineTestBed {
  readonly docker: Docker;
  readonly gitServer: GitServer;
  readonly model: FakeModelServer | null;
  readonly harness: EngineHarness | null;
  /** Starts the scripted model and a harness around it; both are closed after the test. */
  start(steps: FakeStep[], options?: Partial<Omit<HarnessOptions, 'model' | 'docker' | 'gitServer'>>): Promise<EngineHarness>;
}

export function engineTestBed(docker: Docker = testDocker()): EngineTestBed {
  let gitServer: GitServer | null = null;
  let model: FakeModelServer | null = null;
  let harness: EngineHarness | null = null;
  beforeAll(async () => {
    gitServer = await GitServer.start();
  });
  afterAll(async () => {
    await gitServer?.close();
  });
  afterEach(async () => {
    await harness?.close();
    await model?.close();
    harness = null;
    model = null;
  });
  return {
    docker,
    get gitServer() {
      if (!gitServer) throw new Error('the git server starts in beforeAll');
      return gitServer;
    },
    get model() {
      return model;
    },
    get harness() {
      return harness;
    },
    async start(steps, options = {}) {
      model = await startFakeOpenAi(steps);
      harness = await engineHarness({ ...options, model, docker, gitServer: this.gitServer });
      return harness;
    },
  };
}
