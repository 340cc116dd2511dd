import type { Redis } from 'ioredis';

/** One way the Redis server is set up that can lose Errand's state, with the fix. */
export interface RedisProblem {
  setting: 'maxmemory-policy' | 'persistence';
  message: string;
}

/** `field:value` lines of an INFO section. */
function infoFields(text: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const at = line.indexOf(':');
    if (at > 0 && !line.startsWith('#')) fields.set(line.slice(0, at), line.slice(at + 1).trim());
  }
  return fields;
}

/**
 * What in the Redis server's setup can lose Errand's state: an eviction policy other than
 * `noeviction` (Redis would drop queue jobs and agents when memory runs out) and no persistence
 * (a restart forgets everything). Read through INFO, which managed Redis services allow; RDB
 * snapshots are looked up with CONFIG GET only when AOF is off.
 */
export async function checkRedisForProduction(redis: Redis): Promise<RedisProblem[]> {
  const problems: RedisProblem[] = [];
  const memory = infoFields(await redis.info('memory'));
  const policy = memory.get('maxmemory_policy');
  if (policy !== undefined && policy !== 'noeviction') {
    problems.push({
      setting: 'maxmemory-policy',
      message: `Redis evicts keys when its memory is full (maxmemory-policy ${policy}): queued runs and agents could vanish. Set maxmemory-policy noeviction (redis-server --maxmemory-policy noeviction, or CONFIG SET maxmemory-policy noeviction and CONFIG REWRITE)`,
    });
  }
  const persistence = infoFields(await redis.info('persistence'));
  if (persistence.get('aof_enabled') !== '1') {
    const save = await redis.call('CONFIG', 'GET', 'save').then(
      (reply) => (Array.isArray(reply) ? String(reply[1] ?? '') : ''),
      () => null,
    );
    if (save === null) {
      problems.push({
        setting: 'persistence',
        message: 'Redis has AOF off and does not let Errand read its RDB snapshot schedule (CONFIG is disabled): make sure it persists, or turn AOF on (appendonly yes)',
      });
    } else if (save.trim() === '') {
      problems.push({
        setting: 'persistence',
        message: 'Redis does not persist (appendonly no and no save schedule): a restart forgets every agent, key and queued run. Turn AOF on (redis-server --appendonly yes, or CONFIG SET appendonly yes and CONFIG REWRITE)',
      });
    }
  }
  return problems;
}
