import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import { z } from 'zod';

/** `ERRAND_INSTANCE`: lower-case letters, digits and dashes, at most 40. */
export const Instance = z.string().regex(/^[a-z0-9-]{1,40}$/, 'must be 1 to 40 lower-case letters, digits or dashes, e.g. errand-staging');
export type Instance = z.infer<typeof Instance>;

/**
 * The instance this process belongs to: its Redis key prefix and the `errand.install` label of
 * every container and image it makes. Unset, it is derived from what the processes of one install
 * share, so two installs never share it by accident: the Redis URL (without credentials) when
 * REDIS_URL is set — every web and worker process of a fleet names the same Redis — else the
 * absolute path of the data directory, where the autostarted Redis keeps its data.
 */
export function resolveInstance(config: { instance?: string | undefined; redisUrl?: string | undefined; dataDir: string }): Instance {
  if (config.instance) return Instance.parse(config.instance);
  const source = config.redisUrl ? `redis:${redisIdentity(config.redisUrl)}` : `data:${resolve(config.dataDir)}`;
  return `errand-${createHash('sha256').update(source).digest('hex').slice(0, 10)}`;
}

/** Host, port and database of a Redis URL: the same server whoever connects, password or not. */
function redisIdentity(url: string): string {
  const parsed = new URL(url);
  const db = parsed.pathname.replace(/^\//, '') || '0';
  return `${parsed.hostname.toLowerCase()}:${parsed.port || '6379'}/${db}`;
}
