import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';

/**
 * A key prefix of its own under the instance's (`<instance>:scratch-<uuid>:`) for work that must
 * run against real Redis but leave nothing behind: the web role's start-up warm-up launches real
 * agents there. Nothing else reads these keys (every store, queue and channel of the instance is
 * under `<instance>:` directly), and `drop` deletes them, with any left by a process that died
 * before it could.
 */
export class RedisScratchSpaces {
  constructor(
    private readonly redis: Redis,
    /** The instance's prefix, `<instance>:`. */
    private readonly instancePrefix: string,
  ) {}

  /** A new scratch prefix, ending in `:`. */
  open(): string {
    return `${this.instancePrefix}scratch-${randomUUID()}:`;
  }

  /** Deletes every key of every scratch space of this instance; resolves to how many there were. */
  async drop(): Promise<number> {
    const pattern = `${this.instancePrefix.replace(/[*?[\]\\]/g, '\\$&')}scratch-*`;
    let cursor = '0';
    let dropped = 0;
    do {
      const [next, batch] = await this.redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1_000);
      cursor = next;
      if (batch.length) dropped += await this.redis.unlink(...batch);
    } while (cursor !== '0');
    return dropped;
  }
}
