import { randomUUID } from 'node:crypto';
import type { EventBell, Leases, NotifyCursors } from '../../core/index.js';
import { expiryGraceSeconds, type Keys } from './keys.js';
import { multi, withKeys, type ScriptedRedis } from './scripts.js';
import { subscribe } from './pubsub.js';

export class RedisNotifyCursors implements NotifyCursors {
  constructor(
    private readonly redis: ScriptedRedis,
    private readonly keys: Keys,
    private readonly retentionSeconds: number,
  ) {}

  get(agentId: string, conversationKey: string): Promise<string | null> {
    return this.redis.hget(this.keys.notifyCursors(agentId), conversationKey);
  }

  async set(agentId: string, conversationKey: string, eventId: string): Promise<void> {
    const key = this.keys.notifyCursors(agentId);
    const tx = multi(this.redis);
    tx.hset(key, conversationKey, eventId);
    await tx.errandFollowAgent(...withKeys([this.keys.agent(agentId), key], (this.retentionSeconds + expiryGraceSeconds) * 1000)).exec();
  }
}


/** A lease is a key holding a random token; only the holder of the token renews or releases it. */
export class RedisLeases implements Leases {
  constructor(
    private readonly redis: ScriptedRedis,
    private readonly keys: Keys,
  ) {}

  async acquire(name: string, ttlMs: number): Promise<string | null> {
    const token = randomUUID();
    return (await this.redis.set(this.keys.lease(name), token, 'PX', ttlMs, 'NX')) === 'OK' ? token : null;
  }

  async renew(name: string, token: string, ttlMs: number): Promise<boolean> {
    return (await this.redis.errandLeaseRenew(this.keys.lease(name), token, String(ttlMs))) === 1;
  }

  async release(name: string, token: string): Promise<void> {
    await this.redis.errandLeaseRelease(this.keys.lease(name), token);
  }
}

/** The event log publishes each append's agent id; this listens to that channel. */
export class RedisEventBell implements EventBell {
  constructor(
    private readonly redis: ScriptedRedis,
    private readonly keys: Keys,
  ) {}

  async ring(agentId: string): Promise<void> {
    await this.redis.publish(this.keys.eventsChannel(), agentId);
  }

  onRing(listener: (agentId: string) => void): Promise<() => Promise<void>> {
    return subscribe(this.redis, this.keys.eventsChannel(), listener);
  }
}
