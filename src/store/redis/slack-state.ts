import type { Keys } from './keys.js';
import { multi, withKeys, type ScriptedRedis } from './scripts.js';

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
  /**
   * Opens a window of `ms` for editing one message, shared by every process: 0 if this call opened
   * it (edit now), else the milliseconds until the current window closes.
   */
  claimEditWindow(agentId: string, field: string, ms: number): Promise<number>;
  /** Restarts the window when an edit is done, so the next edit lands at least `ms` after this one did. */
  holdEditWindow(agentId: string, field: string, ms: number): Promise<void>;
  /** null when never checked. */
  channelExternal(teamId: string, channelId: string): Promise<boolean | null>;
  setChannelExternal(teamId: string, channelId: string, external: boolean): Promise<void>;
}

/**
 * SlackState in Redis: one hash per agent that lives as long as the agent's record (so its
 * workspace's retention), and a key per channel. `forget` deletes the agent's hash.
 */
export class RedisSlackState implements SlackState {
  constructor(
    private readonly redis: ScriptedRedis,
    private readonly keys: Keys,
    /** Lifetime of an agent's fields while its record is not stored yet. */
    private readonly fallbackTtlSeconds: number,
  ) {}

  get(agentId: string, field: string): Promise<string | null> {
    return this.redis.hget(this.keys.slackAgent(agentId), field);
  }

  async set(agentId: string, field: string, value: string): Promise<void> {
    const tx = multi(this.redis);
    tx.hset(this.keys.slackAgent(agentId), field, value);
    await this.followAgent(tx, agentId).exec();
  }

  async delete(agentId: string, field: string): Promise<void> {
    await this.redis.hdel(this.keys.slackAgent(agentId), field);
  }

  async claim(agentId: string, field: string, value: string): Promise<boolean> {
    const tx = multi(this.redis);
    tx.hsetnx(this.keys.slackAgent(agentId), field, value);
    const result = await this.followAgent(tx, agentId).exec();
    return result?.[0]?.[1] === 1;
  }

  async claimEditWindow(agentId: string, field: string, ms: number): Promise<number> {
    const key = this.keys.slackEditWindow(agentId, field);
    if ((await this.redis.set(key, '1', 'PX', ms, 'NX')) === 'OK') return 0;
    const left = await this.redis.pttl(key);
    // The window lapsed between the two calls (-2), or has no expiry (-1, never set so): try again at once.
    return left > 0 ? left : 1;
  }

  async holdEditWindow(agentId: string, field: string, ms: number): Promise<void> {
    await this.redis.set(this.keys.slackEditWindow(agentId, field), '1', 'PX', ms);
  }

  async channelExternal(teamId: string, channelId: string): Promise<boolean | null> {
    const raw = await this.redis.get(this.keys.slackChannelExternal(teamId, channelId));
    return raw === null ? null : raw === '1';
  }

  async setChannelExternal(teamId: string, channelId: string, external: boolean): Promise<void> {
    // A month: sharing rarely changes, and channel_shared / channel_unshared events rewrite it.
    await this.redis.set(this.keys.slackChannelExternal(teamId, channelId), external ? '1' : '0', 'EX', 30 * 86_400);
  }

  private followAgent(tx: ReturnType<typeof multi>, agentId: string): ReturnType<typeof multi> {
    return tx.errandFollowAgent(...withKeys([this.keys.agent(agentId), this.keys.slackAgent(agentId)], this.fallbackTtlSeconds * 1000));
  }
}
