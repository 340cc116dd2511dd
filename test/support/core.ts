import type { Redis } from 'ioredis';
import pino from 'pino';
import { AgentService, type Clock, type LaunchCapabilities, type Metrics, type Principal } from '../../src/core/index.js';
import { BullRunQueue } from '../../src/queue/run-queue.js';
import type { Scrubber } from '../../src/redact/scrubber.js';
import type { KeyProvider } from '../../src/secrets/index.js';
import { createRedisStores, type RedisStores } from '../../src/store/redis/index.js';
import { deleteKeys, testRedis, uniquePrefix } from './redis.js';

/** A clock tests can move. */
export class TestClock implements Clock {
  constructor(private current = new Date('2026-11-21T10:00:00Z')) {}
  now(): Date {
    return new Date(this.current);
  }
  advance(ms: number): void {
    this.current = new Date(this.current.getTime() + ms);
  }
}

export const silentLog = pino({ level: 'silent' });

export interface CoreHarness {
  redis: Redis;
  prefix: string;
  stores: RedisStores;
  queue: BullRunQueue;
  service: AgentService;
  clock: Clock;
  close(): Promise<void>;
}

/** The real core on a real Redis, under a key prefix of its own. */
export async function coreHarness(
  options: { clock?: Clock; defaultModel?: string | null; retentionDays?: number; capabilities?: LaunchCapabilities; keyProvider?: KeyProvider; scrubber?: Scrubber; metrics?: Metrics } = {},
): Promise<CoreHarness> {
  const redis = await testRedis();
  const prefix = uniquePrefix('core');
  const clock = options.clock ?? { now: () => new Date() };
  const stores = createRedisStores(redis, {
    prefix, clock, retentionDays: options.retentionDays ?? 3,
    ...(options.keyProvider ? { keyProvider: options.keyProvider } : {}), ...(options.scrubber ? { scrubber: options.scrubber } : {}),
  });
  const queue = new BullRunQueue(redis, 'runs', prefix.replace(/:$/, ''));
  const service = new AgentService({ ...stores, queue, clock, log: silentLog, defaultModel: options.defaultModel === undefined ? 'openai:test-model' : options.defaultModel, ...(options.capabilities ? { capabilities: options.capabilities } : {}), ...(options.metrics ? { metrics: options.metrics } : {}) });
  return {
    redis, prefix, stores, queue, service, clock,
    close: async () => {
      await queue.close();
      await deleteKeys(redis, prefix);
      await redis.quit();
    },
  };
}

export function slackUser(id = 'U1', team = 'T1', extra: Partial<Principal> = {}): Principal {
  return { kind: 'slack', workspace: team, id, name: `user-${id}`, ...extra };
}

export const slackThread = (threadTs = '1700000000.000100', channelId = 'C1', teamId = 'T1') =>
  ({ kind: 'slack', teamId, channelId, threadTs, external: false }) as const;
