import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import pino from 'pino';
import { AgentService, NotifyDispatcher, type Agent, type AgentEvent, type Principal, type PullRequestInfo, type RepoRef, type Sandbox } from '../../src/core/index.js';
import { ProviderRegistry } from '../../src/engine/providers/index.js';
import { createApiFrontend, type ApiFrontend } from '../../src/frontends/http/api/index.js';
import { startHttpServer, type RunningHttpServer } from '../../src/frontends/http/server.js';
import { BullRunQueue } from '../../src/queue/run-queue.js';
import { WebhookQueue } from '../../src/queue/webhook-queue.js';
import { Scrubber } from '../../src/redact/scrubber.js';
import { EnvKeyProvider } from '../../src/secrets/index.js';
import { createRedisStores, type RedisStores } from '../../src/store/redis/index.js';
import { deleteKeys, testRedis, uniquePrefix } from '../support/redis.js';
import { waitFor } from '../support/wait.js';
import { perTest } from '../support/per-test.js';

export const silent = pino({ level: 'silent' });

export interface Reply {
  status: number;
  json: Record<string, unknown> & { error?: { message: string; code: string; field?: string } };
  headers: Headers;
}

export interface ApiHarness {
  url: string;
  redis: Redis;
  prefix: string;
  stores: RedisStores;
  agents: AgentService;
  api: ApiFrontend;
  scrubber: Scrubber;
  keys: { admin: string; alice: string; bob: string };
  alice: Principal;
  call(method: string, path: string, options?: { key?: string | null; body?: unknown; raw?: string; headers?: Record<string, string> }): Promise<Reply>;
  launch(key: string, body?: Record<string, unknown>): Promise<string>;
  /** Moves the agent through statuses as the engine would. */
  drive(agentId: string, ...steps: (Agent['status'] | AgentEvent)[]): Promise<void>;
  close(): Promise<void>;
}

/** The API mounted on Errand's HTTP server, on the real core and a real Redis, with a dispatcher for webhooks. */
export interface ApiHarnessOptions {
  masterKey?: boolean;
  heartbeatMs?: number;
  webhookBackoffMs?: number;
  localRepos?: boolean;
  machines?: Pick<Sandbox, 'snapshot'>;
  /** Per-key request limit (off when absent). */
  rateLimit?: { points: number; durationSeconds: number };
  /** Where `GET /v0|v1/repositories` lists from. */
  repositories?: () => Promise<{ owner: string; name: string; repository: string }[]>;
  /** Reads pull requests for `prUrl` launches. */
  pullRequests?: (repo: RepoRef, number: number) => Promise<PullRequestInfo | null>;
  /** Configured plain git hosts that cannot be listed. */
  unlistedHosts?: { url: string; reason: string }[];
}

export async function apiHarness(options: ApiHarnessOptions = {}): Promise<ApiHarness> {
  const redis = await testRedis();
  const prefix = uniquePrefix('api');
  const clock = { now: () => new Date() };
  const scrubber = new Scrubber();
  const keyProvider = new EnvKeyProvider({ ERRAND_MASTER_KEY: options.masterKey === false ? undefined : randomBytes(32).toString('hex') });
  const stores = createRedisStores(redis, { prefix, clock, retentionDays: 3, keyProvider, scrubber });
  const queue = new BullRunQueue(redis, 'runs', prefix.replace(/:$/, ''));
  const agents = new AgentService({ ...stores, queue, clock, log: silent, defaultModel: 'openai:test-model', localRepos: options.localRepos ?? false });
  const models = new ProviderRegistry({
    config: {
      defaultModel: 'openai:test-model',
      models: ['openai:test-large'],
      openaiApiKey: undefined,
      openaiBaseUrl: 'http://127.0.0.1:9/v1',
      anthropicApiKey: undefined,
      anthropicBaseUrl: undefined,
      modelEndpoints: {},
      modelMaxRetries: 0,
      modelTimeoutMs: 1000,
    },
  });
  let http: RunningHttpServer | null = null;
  const webhooks = new WebhookQueue(redis, prefix.replace(/:$/, ''), { attempts: 4, backoffMs: options.webhookBackoffMs ?? 50 });
  agents.forgetter.addQueue(webhooks);
  const api = createApiFrontend({
    agents, stores, webhooks, models, scrubber, log: silent, clock,
    serverUrl: () => http?.url,
    heartbeatMs: options.heartbeatMs ?? 15_000,
    ...(options.machines ? { machines: options.machines } : {}),
    ...(options.rateLimit ? { rateLimit: options.rateLimit } : {}),
    ...(options.repositories ? { repositories: options.repositories } : {}),
    ...(options.unlistedHosts ? { unlistedHosts: options.unlistedHosts } : {}),
    ...(options.pullRequests ? { pullRequests: options.pullRequests } : {}),
  });
  await api.start();
  http = await startHttpServer({ host: '127.0.0.1', port: 0, log: silent, mounts: [api.mount] });
  const dispatcher = new NotifyDispatcher({ ...stores, notifiers: [api.notifier], log: silent, intervalMs: 20, sweepMs: 60_000 });
  await dispatcher.start();
  const keys = {
    admin: (await api.keys.create({ name: 'root', admin: true })).key,
    alice: (await api.keys.create({ name: 'alice' })).key,
    bob: (await api.keys.create({ name: 'bob' })).key,
  };
  const url = http.url;

  const call: ApiHarness['call'] = async (method, path, callOptions = {}) => {
    const key = callOptions.key === undefined ? keys.alice : callOptions.key;
    const response = await fetch(`${url}${path}`, {
      method,
      headers: {
        ...(key ? { authorization: `Bearer ${key}` } : {}),
        ...(callOptions.body !== undefined || callOptions.raw !== undefined ? { 'content-type': 'application/json' } : {}),
        ...callOptions.headers,
      },
      ...(callOptions.raw !== undefined ? { body: callOptions.raw } : callOptions.body !== undefined ? { body: JSON.stringify(callOptions.body) } : {}),
    });
    const text = await response.text();
    return { status: response.status, json: text ? (JSON.parse(text) as Reply['json']) : {}, headers: response.headers };
  };

  return {
    url, redis, prefix, stores, agents, api, scrubber, keys,
    alice: { kind: 'api', workspace: 'api', id: 'alice', name: 'alice' },
    call,
    async launch(key, body = {}) {
      const reply = await call('POST', '/v0/agents', { key, body: { prompt: { text: 'fix the flaky login test' }, source: { repository: 'acme/web', ref: 'main' }, ...body } });
      if (reply.status !== 201) throw new Error(`launch failed: ${reply.status} ${JSON.stringify(reply.json)}`);
      return reply.json['id'] as string;
    },
    async drive(agentId, ...steps) {
      for (const step of steps) {
        if (typeof step === 'string') await agents.transition(agentId, step);
        else await stores.events.append(agentId, step);
      }
    },
    async close() {
      await dispatcher.close();
      await http?.close();
      await api.close();
      await queue.close();
      await deleteKeys(redis, prefix);
      await redis.quit();
    },
  };
}

/** Reads an SSE response into parsed events until `until` says stop or the stream ends. */
export async function readSse(
  response: Response,
  until: (events: { id?: string; event: string; data: Record<string, unknown> }[], raw: string) => boolean = () => false,
): Promise<{ events: { id?: string; event: string; data: Record<string, unknown> }[]; raw: string; ended: boolean }> {
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let raw = '';
  const events: { id?: string; event: string; data: Record<string, unknown> }[] = [];
  let ended = false;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) {
      ended = true;
      break;
    }
    raw += decoder.decode(value, { stream: true });
    events.length = 0;
    for (const block of raw.split('\n\n').slice(0, -1)) {
      const fields = Object.fromEntries(block.split('\n').filter((l) => !l.startsWith(':') && l.includes(': ')).map((l) => [l.slice(0, l.indexOf(': ')), l.slice(l.indexOf(': ') + 2)]));
      if (fields['event']) events.push({ ...(fields['id'] ? { id: fields['id'] } : {}), event: fields['event'], data: JSON.parse(fields['data'] ?? '{}') as Record<string, unknown> });
    }
    if (until(events, raw)) {
      await reader.cancel();
      break;
    }
  }
  return { events, raw, ended };
}

export { waitFor };

/** A fresh API harness per test, closed after it. */
export function apiHarnessPerTest(options: ApiHarnessOptions = {}): ApiHarness {
  return perTest('API', () => apiHarness(options), (h) => h.close());
}
