import type { Redis } from 'ioredis';

/**
 * What the Slack front end remembers between requests and processes, so that nothing is posted
 * twice: per agent, a small record of fields (the status message per conversation, each thread
 * reply's outcome, the reaction on the status message); per channel, whether it is shared with
 * other organisations.
 */
export interface SlackState {
  get(agentId: string, field: string): Promise<string | null>;
  set(agentId: string, field: string, value: string): Promise<void>;
  delete(agentId: string, field: string): Promise<void>;
  /** Sets the field only if it is unset; true if this call set it. */
  claim(agentId: string, field: string, value: string): Promise<boolean>;
  /** null when never checked. */
  channelExternal(teamId: string, channelId: string): Promise<boolean | null>;
  setChannelExternal(teamId: string, channelId: string, external: boolean): Promise<void>;
}

/** SlackState in Redis: one hash per agent, expiring with the agent's retention, and a key per channel. */
export class RedisSlackState implements SlackState {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly ttlSeconds: number,
  ) {}

  private agentKey(agentId: string): string {
    return `${this.prefix}slack:agent:${agentId}`;
  }

  private channelKey(teamId: string, channelId: string): string {
    return `${this.prefix}slack:channel-external:${teamId}:${channelId}`;
  }

  get(agentId: string, field: string): Promise<string | null> {
    return this.redis.hget(this.agentKey(agentId), field);
  }

  async set(agentId: string, field: string, value: string): Promise<void> {
    await this.redis.multi().hset(this.agentKey(agentId), field, value).expire(this.agentKey(agentId), this.ttlSeconds).exec();
  }

  async delete(agentId: string, field: string): Promise<void> {
    await this.redis.hdel(this.agentKey(agentId), field);
  }

  async claim(agentId: string, field: string, value: string): Promise<boolean> {
    const result = await this.redis.multi().hsetnx(this.agentKey(agentId), field, value).expire(this.agentKey(agentId), this.ttlSeconds).exec();
    return result?.[0]?.[1] === 1;
  }

  async channelExternal(teamId: string, channelId: string): Promise<boolean | null> {
    const raw = await this.redis.get(this.channelKey(teamId, channelId));
    return raw === null ? null : raw === '1';
  }

  async setChannelExternal(teamId: string, channelId: string, external: boolean): Promise<void> {
    // A month: sharing rarely changes, and channel_shared / channel_unshared events rewrite it.
    await this.redis.set(this.channelKey(teamId, channelId), external ? '1' : '0', 'EX', 30 * 86_400);
  }
}
