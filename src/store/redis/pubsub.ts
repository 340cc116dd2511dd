import type { Redis } from 'ioredis';

/**
 * Calls `listener` with every message published on `channel`, on a connection of its own (a
 * subscribed connection can do nothing else). Resolves with the unsubscribe function.
 */
export async function subscribe(redis: Redis, channel: string, listener: (message: string) => void): Promise<() => Promise<void>> {
  const subscriber = redis.duplicate();
  subscriber.on('message', (from: string, message: string) => {
    if (from === channel) listener(message);
  });
  await subscriber.subscribe(channel);
  // Closing the connection ends the subscription; an UNSUBSCRIBE first would wait for ever while
  // Redis is unreachable (commands queue until it is back), and with it the process's shutdown.
  return async () => subscriber.disconnect();
}
