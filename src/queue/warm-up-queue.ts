import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';

export const warmUpQueueName = 'errand-warm-up';

/**
 * Adds and removes a few jobs on a queue no worker reads: Redis loads BullMQ's add script and V8
 * compiles BullMQ's add path before the first launch needs them. Nothing is left behind.
 */
export async function warmQueuePath(connection: Redis, prefix: string, rounds: number): Promise<void> {
  const queue = new Queue(warmUpQueueName, { connection, prefix });
  try {
    for (let i = 0; i < rounds; i++) await queue.add('warm-up', { agentId: `ag_warmup${String(i % 10_000).padStart(4, '0')}` }, { jobId: `warm-up-${i}`, removeOnComplete: true });
    await queue.obliterate({ force: true });
  } finally {
    await queue.close();
  }
}
