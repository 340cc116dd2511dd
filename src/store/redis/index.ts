import type { Redis } from 'ioredis';
import type { Clock } from '../../core/index.js';
import { RedisAgentStore } from './agent-store.js';
import { RedisDedupStore } from './dedup-store.js';
import { RedisEventLog } from './event-log.js';
import { RedisInbox } from './inbox.js';
import { Keys } from './keys.js';
import { RedisEventBell, RedisLeases, RedisNotifyCursors } from './notify.js';
import { RedisSettingsStore } from './settings-store.js';
import { RedisStopSignals } from './stop-signals.js';

export { Keys } from './keys.js';
export { RedisAgentStore, RedisDedupStore, RedisEventBell, RedisEventLog, RedisInbox, RedisLeases, RedisNotifyCursors, RedisSettingsStore, RedisStopSignals };

export interface RedisStores {
  keys: Keys;
  agents: RedisAgentStore;
  events: RedisEventLog;
  inbox: RedisInbox;
  dedup: RedisDedupStore;
  settings: RedisSettingsStore;
  stops: RedisStopSignals;
  cursors: RedisNotifyCursors;
  leases: RedisLeases;
  bell: RedisEventBell;
}

export function createRedisStores(redis: Redis, options: { prefix?: string; clock: Clock; retentionDays: number }): RedisStores {
  const keys = new Keys(options.prefix);
  const retentionSeconds = options.retentionDays * 86_400;
  return {
    keys,
    agents: new RedisAgentStore(redis, keys, options.clock),
    events: new RedisEventLog(redis, keys, options.clock, retentionSeconds),
    inbox: new RedisInbox(redis, keys, retentionSeconds),
    dedup: new RedisDedupStore(redis, keys),
    settings: new RedisSettingsStore(redis, keys, { retentionDays: options.retentionDays }),
    stops: new RedisStopSignals(redis, keys),
    cursors: new RedisNotifyCursors(redis, keys, retentionSeconds),
    leases: new RedisLeases(redis, keys),
    bell: new RedisEventBell(redis, keys),
  };
}
