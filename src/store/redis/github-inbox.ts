import type { Redis } from 'ioredis';
import type { Keys } from './keys.js';

/** Slack retries for up to an hour and GitHub redeliveries can come days later: as the dedup store. */
const deliveryTtlSeconds = 3 * 86_400;
const group = 'drain';

/** An accepted delivery as it waits in the inbox: the raw body, exactly as GitHub signed it. */
export interface InboxDelivery {
  /** The stream entry (to acknowledge once the delivery is on the queue). */
  entry: string;
  deliveryId: string;
  name: string;
  raw: string;
}

const acceptScript = `
if not redis.call('SET', KEYS[1], '1', 'EX', ARGV[1], 'NX') then return 0 end
redis.call('XADD', KEYS[2], '*', 'd', ARGV[2], 'n', ARGV[3], 'p', ARGV[4])
return 1`;

type Entries = [string, string[]][];

/**
 * The GitHub webhook's durable hand-off, one round trip: claiming the delivery id and appending the
 * delivery to a stream happen in one script, so a delivery answered 200 is either in the stream or
 * was a redelivery. A drainer (consumer group, so a crash leaves entries pending for another to
 * claim) moves entries to the trigger queue and then deletes them.
 */
export class RedisGitHubInbox {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
  ) {
    redis.defineCommand('errandGithubAccept', { numberOfKeys: 2, lua: acceptScript });
  }

  /** true: new and stored; false: this delivery id was accepted before. */
  async accept(delivery: { deliveryId: string; name: string; raw: string }): Promise<boolean> {
    const accept = (this.redis as unknown as { errandGithubAccept(...args: string[]): Promise<number> }).errandGithubAccept;
    const stored = await accept.call(this.redis, this.keys.dedup(`github:delivery:${delivery.deliveryId}`), this.keys.githubInbox(), String(deliveryTtlSeconds), delivery.deliveryId, delivery.name, delivery.raw);
    return stored === 1;
  }

  /** Creates the drainers' group (from the start of the stream: entries written before it count). */
  async prepare(): Promise<void> {
    await this.redis.xgroup('CREATE', this.keys.githubInbox(), group, '0', 'MKSTREAM').catch((error: unknown) => {
      if (!String((error as Error).message).includes('BUSYGROUP')) throw error;
    });
  }

  /** New entries for this consumer, waiting up to `blockMs` on `reader` (a connection of its own: it blocks). */
  async read(reader: Redis, consumer: string, count: number, blockMs: number): Promise<InboxDelivery[]> {
    const reply = (await reader.xreadgroup('GROUP', group, consumer, 'COUNT', count, 'BLOCK', blockMs, 'STREAMS', this.keys.githubInbox(), '>')) as [string, Entries][] | null;
    return parseEntries(reply?.[0]?.[1] ?? []);
  }

  /** Entries another drainer took and did not finish within `idleMs` (it died): now this consumer's. */
  async claimStale(consumer: string, idleMs: number, count: number): Promise<InboxDelivery[]> {
    const reply = (await this.redis.xautoclaim(this.keys.githubInbox(), group, consumer, idleMs, '0-0', 'COUNT', count)) as [string, Entries];
    return parseEntries(reply[1]);
  }

  /** The entries are on the queue: acknowledge and delete them. */
  async done(entries: string[]): Promise<void> {
    if (entries.length === 0) return;
    await this.redis.multi().xack(this.keys.githubInbox(), group, ...entries).xdel(this.keys.githubInbox(), ...entries).exec();
  }
}

function parseEntries(entries: Entries): InboxDelivery[] {
  return entries.flatMap(([entry, fields]) => {
    if (!fields) return [];
    const values = new Map<string, string>();
    for (let i = 0; i + 1 < fields.length; i += 2) values.set(fields[i]!, fields[i + 1]!);
    return [{ entry, deliveryId: values.get('d') ?? '', name: values.get('n') ?? '', raw: values.get('p') ?? '' }];
  });
}
