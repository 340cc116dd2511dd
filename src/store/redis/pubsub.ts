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
  return async () => {
    await subscriber.unsubscribe(channel).catch(() => undefined);
    subscriber.disconnect();
  };
}
