import { createHash, randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { Clock } from '../../core/index.js';
import type { Keys } from './keys.js';

/** A signed-in browser: which API key it acts as and its CSRF token. The id itself is never stored. */
export const Session = z.object({
  keyId: z.string(),
  csrf: z.string(),
  createdAt: z.string(),
});
export type Session = z.infer<typeof Session>;

export interface SessionTimes {
  /** Signed out after this long without a request (default 12 hours). */
  idleSeconds: number;
  /** Signed out this long after signing in, however busy (default 7 days). */
  maxSeconds: number;
}

export const defaultSessionTimes: SessionTimes = { idleSeconds: 12 * 3600, maxSeconds: 7 * 86_400 };

function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** 256 random bits, URL-safe. */
export function randomToken(): string {
  return randomBytes(32).toString('base64url');
}

const tokenPattern = /^[A-Za-z0-9_-]{43}$/;

/**
 * Dashboard sessions in Redis, keyed by the SHA-256 of the random id the cookie holds, so a read
 * of Redis does not yield usable cookies. Each request slides the idle expiry, never past the
 * absolute one.
 */
export class SessionStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
    private readonly clock: Clock,
    private readonly times: SessionTimes = defaultSessionTimes,
  ) {}

  get idleSeconds(): number {
    return this.times.idleSeconds;
  }

  async create(keyId: string): Promise<{ id: string; session: Session }> {
    const id = randomToken();
    const session: Session = { keyId, csrf: randomToken(), createdAt: this.clock.now().toISOString() };
    await this.redis.set(this.key(id), JSON.stringify(session), 'EX', this.times.idleSeconds);
    return { id, session };
  }

  async get(id: string): Promise<Session | null> {
    if (!tokenPattern.test(id)) return null;
    const raw = await this.redis.get(this.key(id));
    if (raw === null) return null;
    const parsed = Session.safeParse(JSON.parse(raw));
    if (!parsed.success) return null;
    const age = (this.clock.now().getTime() - Date.parse(parsed.data.createdAt)) / 1000;
    const left = Math.floor(Math.min(this.times.idleSeconds, this.times.maxSeconds - age));
    if (left <= 0) {
      await this.delete(id);
      return null;
    }
    await this.redis.expire(this.key(id), left);
    return parsed.data;
  }

  async delete(id: string): Promise<void> {
    if (tokenPattern.test(id)) await this.redis.del(this.key(id));
  }

  private key(id: string): string {
    return this.keys.dashboardSession(sha256(id));
  }
}

/**
 * One-time sign-in links (`errand login --link`): a random token, stored as its SHA-256 with a short
 * TTL, taken (GETDEL) on first use so a second use finds nothing.
 */
export class LoginLinkStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
    private readonly ttlSeconds = 600,
  ) {}

  get ttl(): number {
    return this.ttlSeconds;
  }

  async mint(keyId: string): Promise<string> {
    const token = randomToken();
    await this.redis.set(this.key(token), keyId, 'EX', this.ttlSeconds);
    return token;
  }

  /** Whether the token is still good, without using it up (for the confirmation page). */
  async peek(token: string): Promise<boolean> {
    return tokenPattern.test(token) && (await this.redis.exists(this.key(token))) === 1;
  }

  /** The key id the token was minted for, once; null when unknown, expired or used. */
  async consume(token: string): Promise<string | null> {
    if (!tokenPattern.test(token)) return null;
    return this.redis.getdel(this.key(token));
  }

  private key(token: string): string {
    return this.keys.dashboardLogin(sha256(token));
  }
}
