/**
 * Fills the store with queued agents the fast way (records through the store, as launches write
 * them, without the front ends), so benchmarks can measure with a long queue.
 */
import { randomUUID } from 'node:crypto';
import type { Agent } from '../../src/core/index.js';
import type { RedisAgentStore } from '../../src/store/redis/agent-store.js';

const common = ['fix', 'the', 'test', 'add', 'update', 'docs', 'login', 'page', 'build', 'error', 'api', 'refactor'];

/** A word that no seeded agent has: one launch per benchmark uses it, searches look for it. */
export const rareWord = 'zanzibar';

export async function seedQueuedAgents(store: RedisAgentStore, template: Agent, count: number, parallel = 64): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < count) {
        const i = next++;
        const words = Array.from({ length: 6 }, (_, k) => common[(i * 7 + k * 5) % common.length]);
        const title = `${words.join(' ')} number${i % 500}`;
        const id = randomUUID();
        const now = new Date(Date.parse(template.createdAt) - (count - i) * 10).toISOString();
        await store.create({ ...template, id, title, prompt: title, branch: `errand/seed-${i}`, status: 'queued', conversations: [{ kind: 'api' }], createdAt: now, updatedAt: now, version: 0 });
      }
    }),
  );
}
