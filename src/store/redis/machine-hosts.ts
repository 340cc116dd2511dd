import type { Keys } from './keys.js';
import type { ScriptedRedis } from './scripts.js';

/**
 * Which worker host holds each agent's machine, and which hosts have a live worker. Workers on
 * several hosts share one Redis but each drives its own Docker engine: a resume must go to the
 * host whose engine holds the container, while that host has a live worker.
 */
export class RedisMachineHosts {
  constructor(
    private readonly redis: ScriptedRedis,
    private readonly keys: Keys,
  ) {}

  /** Records that `host` runs (and so holds the machine of) the agent, for as long as the agent lives. */
  async record(agentId: string, host: string, ttlMs: number): Promise<void> {
    await this.redis.set(this.keys.machineHost(agentId), host, 'PX', Math.max(ttlMs, 1000));
  }

  async hostOf(agentId: string): Promise<string | null> {
    return this.redis.get(this.keys.machineHost(agentId));
  }

  /** Where the agent's next job should run: its machine's host while that host has a live worker, else anywhere (null). */
  async hostFor(agentId: string): Promise<string | null> {
    const host = await this.hostOf(agentId);
    return host && (await this.alive(host)) ? host : null;
  }

  /** A worker on `host` is alive for `ttlMs` more; it calls this again well before. */
  async heartbeat(host: string, ttlMs: number): Promise<void> {
    await this.redis.multi().set(this.keys.workerHost(host), '1', 'PX', ttlMs).sadd(this.keys.workerHosts(), host).exec();
  }

  /** The host's worker stops: resumes no longer wait for it. */
  async forgetHost(host: string): Promise<void> {
    await this.redis.del(this.keys.workerHost(host));
  }

  async alive(host: string): Promise<boolean> {
    return (await this.redis.exists(this.keys.workerHost(host))) === 1;
  }

  /** Every host a worker ever announced (their queues may hold jobs). */
  async hosts(): Promise<string[]> {
    return this.redis.smembers(this.keys.workerHosts());
  }
}
