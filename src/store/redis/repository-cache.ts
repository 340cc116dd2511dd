import { z } from 'zod';
import type { Keys } from './keys.js';
import type { ScriptedRedis } from './scripts.js';

/** A repository a configured host makes available, as the API lists it. */
export const RepositorySummary = z.object({ owner: z.string(), name: z.string(), repository: z.string() });
export type RepositorySummary = z.infer<typeof RepositorySummary>;

/** The list of available repositories, kept for a short while so listing is not a GitHub call each time. */
export class RedisRepositoryCache {
  constructor(
    private readonly redis: ScriptedRedis,
    private readonly keys: Keys,
  ) {}

  async get(): Promise<RepositorySummary[] | null> {
    const text = await this.redis.get(this.keys.repositoryList());
    if (text === null) return null;
    const parsed = z.array(RepositorySummary).safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : null;
  }

  async set(repositories: RepositorySummary[], ttlSeconds: number): Promise<void> {
    await this.redis.set(this.keys.repositoryList(), JSON.stringify(repositories), 'EX', Math.max(1, Math.round(ttlSeconds)));
  }
}
