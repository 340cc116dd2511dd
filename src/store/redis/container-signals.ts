import type { Redis } from 'ioredis';
import type { ContainerRemover } from '../../core/index.js';
import type { Keys } from './keys.js';
import { subscribe } from './pubsub.js';

/**
 * A `web` process has no Docker: when it forgets an agent, it asks the workers (over pub/sub) to
 * remove the container. A message nobody hears is caught by the reaper, which removes containers
 * of agents the store no longer knows.
 */
export class RedisContainerSignals implements ContainerRemover {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
  ) {}

  async remove(agentId: string): Promise<void> {
    await this.redis.publish(this.keys.forgetChannel(), agentId);
  }

  onRemove(listener: (agentId: string) => void): Promise<() => Promise<void>> {
    return subscribe(this.redis, this.keys.forgetChannel(), listener);
  }
}
