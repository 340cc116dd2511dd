import type { Admission, AdmitResult } from '../../core/index.js';
import type { Keys } from './keys.js';
import type { ScriptedRedis } from './scripts.js';

/** Admission runs as one script (`errandAdmit` in scripts.ts): atomic, so two workers never both take the last slot. */
export class RedisAdmission implements Admission {
  constructor(
    private readonly redis: ScriptedRedis,
    private readonly keys: Keys,
  ) {}

  async admit(input: { agentId: string; workspace: string; person: string; maxWorkspace: number; maxPerson: number }): Promise<AdmitResult> {
    const [ok, running, limit] = (await this.redis.errandAdmit(
      this.keys.runningInWorkspace(input.workspace),
      this.keys.runningForPerson(input.person),
      input.agentId,
      String(input.maxWorkspace),
      String(input.maxPerson),
      this.keys.agent(''),
    )) as [number, number, 'workspace' | 'person' | undefined];
    return ok === 1 ? { admitted: true } : { admitted: false, running, limit: limit ?? 'workspace' };
  }

  async release(input: { agentId: string; workspace: string; person: string }): Promise<void> {
    await this.redis
      .multi()
      .zrem(this.keys.runningInWorkspace(input.workspace), input.agentId)
      .zrem(this.keys.runningForPerson(input.person), input.agentId)
      .exec();
  }
}
