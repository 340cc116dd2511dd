import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { AgentDiff, Clock, DiffStore } from '../../core/index.js';
import { expiryGraceSeconds, type Keys } from './keys.js';

/** Our own record, written by this class: read strictly, treated as absent if it does not parse. */
export const StoredAgentDiff = z.object({
  text: z.string().nullable(),
  bytes: z.number().int().nonnegative(),
  base: z.string(),
  branch: z.string(),
  sha: z.string().nullable(),
  at: z.string(),
  repos: z
    .array(z.object({ repo: z.string(), folder: z.string(), text: z.string().nullable(), bytes: z.number().int().nonnegative(), base: z.string(), sha: z.string().nullable() }))
    .optional(),
});

/** One JSON value per agent (the latest push's diff), expiring a day after the agent does. */
export class RedisAgentDiffs implements DiffStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
    private readonly clock: Clock,
  ) {}

  async save(agentId: string, diff: AgentDiff, expiresAt: string): Promise<void> {
    const expiry = Math.max(new Date(expiresAt).getTime(), this.clock.now().getTime()) + expiryGraceSeconds * 1000;
    await this.redis.set(this.keys.agentDiff(agentId), JSON.stringify(diff), 'PXAT', expiry);
  }

  async load(agentId: string): Promise<AgentDiff | null> {
    const text = await this.redis.get(this.keys.agentDiff(agentId));
    if (text === null) return null;
    try {
      const parsed = StoredAgentDiff.safeParse(JSON.parse(text));
      if (!parsed.success) return null;
      const { repos, ...diff } = parsed.data;
      return repos ? { ...diff, repos } : diff;
    } catch {
      return null;
    }
  }

  async clear(agentId: string): Promise<void> {
    await this.redis.del(this.keys.agentDiff(agentId));
  }
}
