import type { AgentEvent, Clock, EventLog, StoredEvent } from '../../core/index.js';
import { expiryGraceSeconds, type Keys } from './keys.js';
import { multi, withKeys, type ScriptedRedis } from './scripts.js';

/** Keeps at most this many events per agent (the oldest go first). */
const maxEvents = 20_000;
const blockMs = 5_000;

/**
 * One Redis stream per agent: ids are the stream's, so a reader resumes exactly where it left.
 * Every append also rings the events channel so notification dispatchers wake up.
 */
export class RedisEventLog implements EventLog {
  constructor(
    private readonly redis: ScriptedRedis,
    private readonly keys: Keys,
    private readonly clock: Clock,
    private readonly retentionSeconds: number,
  ) {}

  async append(agentId: string, event: AgentEvent): Promise<StoredEvent> {
    const at = this.clock.now().toISOString();
    const key = this.keys.events(agentId);
    // The stream lives as long as the agent's record (its workspace's retention), not a fixed time.
    const tx = multi(this.redis);
    tx.xadd(key, 'MAXLEN', '~', maxEvents, '*', 'at', at, 'e', JSON.stringify(event));
    tx.errandFollowAgent(...withKeys([this.keys.agent(agentId), key], (this.retentionSeconds + expiryGraceSeconds) * 1000));
    const [[, id]] = (await tx.publish(this.keys.eventsChannel(), agentId).exec()) as [[Error | null, string], unknown];
    return { ...event, id, at };
  }

  async read(agentId: string, options: { after?: string; limit?: number } = {}): Promise<StoredEvent[]> {
    const start = options.after ? `(${options.after}` : '-';
    const entries = options.limit
      ? await this.redis.xrange(this.keys.events(agentId), start, '+', 'COUNT', options.limit)
      : await this.redis.xrange(this.keys.events(agentId), start, '+');
    return entries.map(([id, fields]) => decode(id, fields));
  }

  async *follow(agentId: string, options: { after?: string; signal: AbortSignal }): AsyncIterable<StoredEvent> {
    const { signal } = options;
    let last = options.after ?? '0-0';
    // A blocking read needs a connection of its own; aborting closes it, which ends the read.
    const reader = this.redis.duplicate();
    const close = () => reader.disconnect();
    signal.addEventListener('abort', close, { once: true });
    try {
      while (!signal.aborted) {
        let result: [string, [string, string[]][]][] | null;
        try {
          result = (await reader.xread('COUNT', 500, 'BLOCK', blockMs, 'STREAMS', this.keys.events(agentId), last)) as typeof result;
        } catch (error) {
          if (signal.aborted) return;
          throw error;
        }
        for (const [, entries] of result ?? []) {
          for (const [id, fields] of entries) {
            last = id;
            yield decode(id, fields);
          }
        }
      }
    } finally {
      signal.removeEventListener('abort', close);
      reader.disconnect();
    }
  }

  async clear(agentId: string): Promise<void> {
    await this.redis.del(this.keys.events(agentId));
  }
}

function decode(id: string, fields: string[]): StoredEvent {
  const map = new Map<string, string>();
  for (let i = 0; i < fields.length; i += 2) map.set(fields[i] as string, fields[i + 1] as string);
  return { ...(JSON.parse(map.get('e') ?? '{}') as AgentEvent), id, at: map.get('at') ?? '' };
}
