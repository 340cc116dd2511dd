import type { FollowUp, Inbox } from '../../core/index.js';
import { expiryGraceSeconds, type Keys } from './keys.js';
import { withKeys, type ScriptedRedis } from './scripts.js';

/** Follow-ups waiting for an agent: a Redis list, drained atomically before each model call. */
export class RedisInbox implements Inbox {
  constructor(
    private readonly redis: ScriptedRedis,
    private readonly keys: Keys,
    private readonly retentionSeconds: number,
  ) {}

  async push(agentId: string, followUp: FollowUp, requestId?: string): Promise<number | null> {
    const key = this.keys.inbox(agentId);
    const seen = this.keys.inboxSeen(agentId);
    const length = requestId
      ? await this.redis.errandInboxPushOnce(key, seen, JSON.stringify(followUp), requestId)
      : await this.redis.rpush(key, JSON.stringify(followUp));
    await this.redis.errandFollowAgent(...withKeys([this.keys.agent(agentId), key, ...(requestId ? [seen] : [])], (this.retentionSeconds + expiryGraceSeconds) * 1000));
    return length === 0 ? null : length;
  }

  async drain(agentId: string): Promise<FollowUp[]> {
    const key = this.keys.inbox(agentId);
    const [[, items]] = (await this.redis.multi().lrange(key, 0, -1).del(key).exec()) as [[Error | null, string[]], unknown];
    return items.map((item) => JSON.parse(item) as FollowUp);
  }

  size(agentId: string): Promise<number> {
    return this.redis.llen(this.keys.inbox(agentId));
  }
}
