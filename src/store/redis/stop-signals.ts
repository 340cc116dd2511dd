import type { Redis } from 'ioredis';
import type { StopSignals } from '../../core/index.js';
import type { Keys } from './keys.js';

/** Stop requests travel over Redis pub/sub to whichever worker runs the agent. */
export class RedisStopSignals implements StopSignals {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
  ) {}

  async requestStop(agentId: string): Promise<void> {
    await this.redis.publish(this.keys.stopChannel(), agentId);
  }

  async onStop(onStop: (agentId: string) => void): Promise<() => Promise<void>> {
    const subscriber = this.redis.duplicate();
    const channel = this.keys.stopChannel();
    subscriber.on('message', (from: string, agentId: string) => {
      if (from === channel) onStop(agentId);
    });
    await subscriber.subscribe(channel);
    return async () => {
      await subscriber.unsubscribe(channel).catch(() => undefined);
      subscriber.disconnect();
    };
  }
}
