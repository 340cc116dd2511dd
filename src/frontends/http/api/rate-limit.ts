import type { NextFunction, Request, Response } from 'express';
import type { RedisRateLimits } from '../../../store/redis/index.js';
import { callerOf } from './auth.js';
import { ApiError } from './errors.js';

/**
 * Per-key request limits for /v0 and /v1 (after authentication): every answer carries
 * `X-RateLimit-Limit`, `-Remaining` and `-Reset` (Unix seconds when the window resets); a request
 * over the limit gets 429 `rate_limit_exceeded` with `Retry-After` (seconds).
 */
export function rateLimit(limits: RedisRateLimits | null) {
  return async (_req: Request, res: Response, next: NextFunction): Promise<void> => {
    if (!limits) {
      next();
      return;
    }
    const { key } = callerOf(res);
    const verdict = await limits.consume(key.id);
    const resetSeconds = Math.max(1, Math.ceil(verdict.resetMs / 1000));
    res.set({
      'X-RateLimit-Limit': String(verdict.limit),
      'X-RateLimit-Remaining': String(verdict.remaining),
      'X-RateLimit-Reset': String(Math.ceil((Date.now() + verdict.resetMs) / 1000)),
    });
    if (!verdict.allowed) {
      res.set('Retry-After', String(resetSeconds));
      throw new ApiError(429, 'rate_limit_exceeded', `this API key made more than ${verdict.limit} requests in the current window; retry after ${resetSeconds} s`);
    }
    next();
  };
}
