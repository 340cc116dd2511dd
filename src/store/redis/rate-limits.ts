import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { Keys } from './keys.js';
import type { ScriptedRedis } from './scripts.js';

/** What one request's consumption says: allowed or not, and what the headers should show. */
export interface RateLimitVerdict {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Milliseconds until the window resets (and, when refused, until a retry may pass). */
  resetMs: number;
}

/**
 * Fixed-window request counters per API key, in Redis (rate-limiter-flexible's RateLimiterRedis),
 * so every `web` process behind a load balancer shares one budget per key.
 */
export class RedisRateLimits {
  private readonly limiter: RateLimiterRedis;

  constructor(
    redis: ScriptedRedis,
    keys: Keys,
    private readonly limit: { points: number; durationSeconds: number },
  ) {
    this.limiter = new RateLimiterRedis({ storeClient: redis, keyPrefix: keys.apiRateLimit(), points: limit.points, duration: limit.durationSeconds });
  }

  /** Counts one request of `subject` (an API key id). */
  async consume(subject: string): Promise<RateLimitVerdict> {
    try {
      const res = await this.limiter.consume(subject, 1);
      return { allowed: true, limit: this.limit.points, remaining: Math.max(0, res.remainingPoints), resetMs: res.msBeforeNext };
    } catch (refusal) {
      if (refusal instanceof RateLimiterRes) return { allowed: false, limit: this.limit.points, remaining: 0, resetMs: refusal.msBeforeNext };
      throw refusal;
    }
  }
}
