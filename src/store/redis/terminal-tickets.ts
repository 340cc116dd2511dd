import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { randomToken } from './dashboard-sessions.js';
import type { Keys } from './keys.js';

/** Who a web terminal ticket was issued to, and for which agent. */
export const TerminalTicket = z.object({
  agentId: z.string(),
  /** The API key the dashboard session acts as. */
  keyId: z.string(),
  /** SHA-256 of the session id: the ticket works only with the session that asked for it. */
  sessionHash: z.string(),
});
export type TerminalTicket = z.infer<typeof TerminalTicket>;

const tokenPattern = /^[A-Za-z0-9_-]{43}$/;

export function sessionHash(sessionId: string): string {
  return createHash('sha256').update(sessionId, 'utf8').digest('hex');
}

/**
 * One-time tickets for the web terminal's WebSocket: the page asks for one (a POST with the
 * session's CSRF token) right before it connects and presents it on connect. 256 random bits,
 * stored only as their SHA-256 for a short time, and taken (GETDEL) on first use.
 */
export class TerminalTicketStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
    private readonly ttlSeconds = 30,
  ) {}

  async issue(ticket: TerminalTicket): Promise<string> {
    const token = randomToken();
    await this.redis.set(this.key(token), JSON.stringify(TerminalTicket.parse(ticket)), 'EX', this.ttlSeconds);
    return token;
  }

  /** The ticket, once; null when unknown, expired or already used. */
  async take(token: string): Promise<TerminalTicket | null> {
    if (!tokenPattern.test(token)) return null;
    const raw = await this.redis.getdel(this.key(token));
    if (raw === null) return null;
    try {
      const parsed = TerminalTicket.safeParse(JSON.parse(raw));
      return parsed.success ? parsed.data : null;
    } catch {
      return null;
    }
  }

  private key(token: string): string {
    return this.keys.terminalTicket(createHash('sha256').update(token, 'utf8').digest('hex'));
  }
}
