import type { Redis } from 'ioredis';
import { AuditEntry, StoredAuditEntry, type AuditLog, type Clock } from '../../core/index.js';
import { expiryGraceSeconds, type Keys } from './keys.js';

const defaultLimit = 50;
const maxLimit = 1000;

/**
 * One Redis stream per workspace. Entries older than the retention window are trimmed on each
 * append (XTRIM MINID), and a workspace that goes quiet loses its stream when the key expires.
 * Entries are validated before they are written, so only the known fields (names, never values) land.
 */
export class RedisAuditLog implements AuditLog {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
    private readonly clock: Clock,
    private readonly retentionSeconds: number,
  ) {}

  async append(input: Omit<AuditEntry, 'at'> & { at?: string }): Promise<StoredAuditEntry> {
    const now = this.clock.now();
    const entry = AuditEntry.parse({ ...input, at: input.at ?? now.toISOString() });
    const key = this.keys.audit(entry.workspace);
    const id = await this.redis.xadd(key, '*', 'e', JSON.stringify(entry));
    if (!id) throw new Error('XADD returned no id');
    // Trim by the stream's own clock (ids are Redis server milliseconds), not the injected one.
    const oldest = Math.max(0, Number(id.split('-')[0]) - this.retentionSeconds * 1000);
    await this.redis.multi().xtrim(key, 'MINID', '~', String(oldest)).expire(key, this.retentionSeconds + expiryGraceSeconds).exec();
    return { ...entry, id };
  }

  async list(workspace: string, options: { limit?: number; before?: string } = {}): Promise<StoredAuditEntry[]> {
    const limit = Math.min(Math.max(1, options.limit ?? defaultLimit), maxLimit);
    const end = options.before ? `(${options.before}` : '+';
    const entries = await this.redis.xrevrange(this.keys.audit(workspace), end, '-', 'COUNT', limit);
    const out: StoredAuditEntry[] = [];
    for (const [id, fields] of entries) {
      const json = fields[fields.indexOf('e') + 1];
      if (json === undefined) continue;
      const result = StoredAuditEntry.safeParse({ ...safeJson(json), id });
      if (result.success) out.push(result.data);
    }
    return out;
  }
}

function safeJson(text: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text);
    return value && typeof value === 'object' ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}
