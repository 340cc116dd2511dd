import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import type { Queue } from 'bullmq';
import type { Router } from 'express';

/**
 * bull-board over BullMQ queues, served under `basePath`: waiting, active, delayed and failed
 * jobs, with retry and remove. Whoever mounts it puts it behind their own access check.
 */
export function queueBoard(queues: Queue[], basePath: string): Router {
  const adapter = new ExpressAdapter();
  adapter.setBasePath(basePath);
  createBullBoard({
    queues: queues.map((queue) => new BullMQAdapter(queue, { allowRetries: true })),
    serverAdapter: adapter,
    options: { uiConfig: { boardTitle: 'Errand queues' } },
  });
  return adapter.getRouter() as Router;
}
