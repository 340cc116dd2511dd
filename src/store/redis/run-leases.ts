import type { Redis } from 'ioredis';
import type { RunLeases } from '../../core/index.js';
import type { Keys } from './keys.js';
import { RedisLeases } from './notify.js';

/** Run leases are ordinary leases named `run:<agent id>` (a key holding the holder's random token). */
export class RedisRunLeases implements RunLeases {
  private readonly leases: RedisLeases;

  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
  ) {
    this.leases = new RedisLeases(redis, keys);
  }

  acquire(agentId: string, ttlMs: number): Promise<string | null> {
    return this.leases.acquire(runLease(agentId), ttlMs);
  }

  renew(agentId: string, token: string, ttlMs: number): Promise<boolean> {
    return this.leases.renew(runLease(agentId), token, ttlMs);
  }

  release(agentId: string, token: string): Promise<void> {
    return this.leases.release(runLease(agentId), token);
  }

  async held(agentId: string): Promise<boolean> {
    return (await this.redis.exists(this.keys.lease(runLease(agentId)))) === 1;
  }
}

const runLease = (agentId: string) => `run:${agentId}`;
