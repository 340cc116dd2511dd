import { Redis } from 'ioredis';

/** The client type the rest of Errand names, so only src/store, src/queue and src/redis import ioredis. */
export type RedisClient = Redis;

export class RedisUnreachableError extends Error {
  readonly code = 'redis_unreachable';
}

/**
 * Connects and proves the connection with a PING before Errand says it is up. At run time the
 * client reconnects forever with backoff and queues commands meanwhile, so nothing accepted is lost.
 */
export async function connectRedis(url: string): Promise<Redis> {
  const redis = new Redis(url, {
    // BullMQ needs this for its blocking commands.
    maxRetriesPerRequest: null,
    retryStrategy: (times) => Math.min(times * 200, 5_000),
    lazyConnect: true,
  });
  // Until the first PING answers, a failure is reported once, by the rejection below (naming the
  // socket's error, e.g. ECONNREFUSED); without a listener ioredis would also print it with its stack.
  let socketError: Error | undefined;
  const quiet = (error: Error) => void (socketError ??= error);
  redis.on('error', quiet);
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    redis.disconnect();
    throw new RedisUnreachableError(
      `cannot reach Redis at ${redactUrl(url)}: ${(socketError?.message ?? (error instanceof Error ? error.message : String(error))).replace(/\.+$/, '')}. ` +
        'Check REDIS_URL, or unset it to let Errand start a local redis-server.',
      { cause: error },
    );
  }
  redis.off('error', quiet);
  return redis;
}

/** redis://user:password@host → redis://user:***@host */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
}
