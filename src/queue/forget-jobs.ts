import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';

/**
 * Removes a queue's jobs whose id starts with `idPrefix` (an agent's run, resume or webhook jobs),
 * in every state but active: a running job's lock keeps it, and its own handler ends it. Job ids
 * are found by SCAN over the queue's job keys (`<prefix>:<queue>:<jobId>`, BullMQ's layout).
 */
export async function forgetJobs(redis: Redis, queue: Queue, idPrefix: string): Promise<number> {
  const base = queue.toKey('');
  const ids = new Set<string>();
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${base}${idPrefix}*`, 'COUNT', 1000);
    cursor = next;
    for (const key of keys) {
      const id = key.slice(base.length);
      if (!id.includes(':')) ids.add(id);
    }
  } while (cursor !== '0');
  let removed = 0;
  for (const id of ids) removed += await queue.remove(id);
  return removed;
}
