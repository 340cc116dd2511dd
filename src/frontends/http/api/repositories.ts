import type { Log } from '../../../core/index.js';
import type { RedisRepositoryCache, RepositorySummary } from '../../../store/redis/index.js';

/** Where the list of available repositories comes from (the GitHub App's installations). */
export type RepositorySource = () => Promise<RepositorySummary[]>;

export interface RepositoryLister {
  list(): Promise<RepositorySummary[]>;
}

/** A configured git host whose repositories cannot be listed, and what to do about it. */
export interface UnlistedHost {
  url: string;
  reason: string;
}

/**
 * The body of `GET /v0|v1/repositories`: `{repositories}` as Cursor has it, plus Errand's
 * `unlistedHosts` when a configured plain git host could not be listed (left out otherwise).
 */
export async function repositoriesBody(lister: RepositoryLister, unlisted: readonly UnlistedHost[]): Promise<{ repositories: RepositorySummary[]; unlistedHosts?: UnlistedHost[] }> {
  return { repositories: await lister.list(), ...(unlisted.length > 0 ? { unlistedHosts: [...unlisted] } : {}) };
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
