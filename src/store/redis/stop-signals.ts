import type { Redis } from 'ioredis';
import type { StopSignals } from '../../core/index.js';
import type { Keys } from './keys.js';
import { subscribe } from './pubsub.js';

/** Stop requests travel over Redis pub/sub to whichever worker runs the agent. */
export class RedisStopSignals implements StopSignals {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
  ) {}

  async requestStop(agentId: string): Promise<void> {
    await this.redis.publish(this.keys.stopChannel(), agentId);
  }

  onStop(onStop: (agentId: string) => void): Promise<() => Promise<void>> {
    return subscribe(this.redis, this.keys.stopChannel(), onStop);
  }
}
