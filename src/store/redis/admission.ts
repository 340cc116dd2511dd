import type { Redis } from 'ioredis';
import type { Admission, AdmitResult } from '../../core/index.js';
import type { Keys } from './keys.js';

/**
 * One Lua call: drop slots whose agent is gone or settled, then admit if both sets are under their
 * limits. Atomic, so two workers never both take the last slot.
 * KEYS: workspace set, person set. ARGV: agent id, max workspace, max person, agent key prefix.
 */
const admitScript = `
local function prune(key)
  for _, id in ipairs(redis.call('ZRANGE', key, 0, -1)) do
    local raw = redis.call('GET', ARGV[4] .. id)
    local keep = false
    if raw then
      local status = cjson.decode(raw)['status']
      keep = status == 'queued' or status == 'preparing' or status == 'running'
    end
    if not keep then redis.call('ZREM', key, id) end
  end
end
prune(KEYS[1])
prune(KEYS[2])
if redis.call('ZSCORE', KEYS[1], ARGV[1]) then return {1, 0} end
local ws = redis.call('ZCARD', KEYS[1])
if ws >= tonumber(ARGV[2]) then return {0, ws, 'workspace'} end
local person = redis.call('ZCARD', KEYS[2])
if person >= tonumber(ARGV[3]) then return {0, person, 'person'} end
local now = redis.call('TIME')[1]
redis.call('ZADD', KEYS[1], now, ARGV[1])
redis.call('ZADD', KEYS[2], now, ARGV[1])
return {1, 0}
`;

export class RedisAdmission implements Admission {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
  ) {}

  async admit(input: { agentId: string; workspace: string; person: string; maxWorkspace: number; maxPerson: number }): Promise<AdmitResult> {
    const [ok, running, limit] = (await this.redis.eval(
      admitScript,
      2,
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
