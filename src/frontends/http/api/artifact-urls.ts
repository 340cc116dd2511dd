import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../../../core/index.js';

/** How long a download link works (default 15 minutes). */
export const artifactUrlTtlMs = 15 * 60_000;

/**
 * Short-lived download links for artifacts: `expires` (Unix seconds) and an HMAC-SHA256 over the
 * agent id, the artifact's name and `expires`, with a key derived from the secrets master key.
 * Checked in constant time; a link for another agent or file, or past its time, is refused.
 */
export class ArtifactUrlSigner {
  constructor(
    /** The HMAC key (32 bytes), read when first needed. */
    private readonly key: () => Promise<Buffer>,
    private readonly clock: Clock,
    private readonly ttlMs = artifactUrlTtlMs,
  ) {}

  /** The query string (`expires=…&signature=…`) of a link to one artifact. */
  async query(agentId: string, name: string): Promise<{ expires: number; signature: string }> {
    const expires = Math.floor((this.clock.now().getTime() + this.ttlMs) / 1000);
    return { expires, signature: await this.mac(agentId, name, expires) };
  }

  /** True only for an unexpired link made by `query` for this agent and name. */
  async verify(agentId: string, name: string, expiresText: unknown, signature: unknown): Promise<boolean> {
    if (typeof expiresText !== 'string' || typeof signature !== 'string' || !/^\d{1,12}$/.test(expiresText)) return false;
    const expires = Number(expiresText);
    if (expires * 1000 <= this.clock.now().getTime()) return false;
    const expected = Buffer.from(await this.mac(agentId, name, expires), 'utf8');
    const given = Buffer.from(signature, 'utf8');
    return given.length === expected.length && timingSafeEqual(given, expected);
  }

  private async mac(agentId: string, name: string, expires: number): Promise<string> {
    return createHmac('sha256', await this.key()).update(JSON.stringify(['errand-artifact', 1, agentId, name, expires])).digest('base64url');
  }
}
