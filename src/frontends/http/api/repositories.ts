import type { Log } from '../../../core/index.js';
import type { RedisRepositoryCache, RepositorySummary } from '../../../store/redis/index.js';

/** Where the list of available repositories comes from (the GitHub App's installations). */
export type RepositorySource = () => Promise<RepositorySummary[]>;

export interface RepositoryLister {
  list(): Promise<RepositorySummary[]>;
}

/**
 * The repositories the configured hosts make available, cached in Redis for `ttlSeconds` so that
 * every `web` process shares one list and listing is not a GitHub round trip each time.
 */
export function cachedRepositories(source: RepositorySource | null, cache: RedisRepositoryCache, log: Log, ttlSeconds = 60): RepositoryLister {
  return {
    async list() {
      if (!source) return [];
      const cached = await cache.get();
      if (cached) return cached;
      const fresh = await source();
      fresh.sort((a, b) => `${a.owner}/${a.name}`.localeCompare(`${b.owner}/${b.name}`));
      await cache.set(fresh, ttlSeconds);
      log.debug({ count: fresh.length }, 'repository list refreshed');
      return fresh;
    },
  };
}
