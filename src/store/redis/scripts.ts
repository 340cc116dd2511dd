import type { Redis } from 'ioredis';

/**
 * Every Lua script the store runs, defined once per client with ioredis `defineCommand` (like
 * BullMQ's commands): calls send EVALSHA with the script's hash, not its text, and ioredis loads
 * the script again by itself if the server lost it (restart, SCRIPT FLUSH).
 */
const scripts = {
  /**
   * A new agent record (SET NX, TTL ARGV[2] ms) and its index entries, at once: KEYS[1] the record,
   * KEYS[2..] the sorted sets it joins with score ARGV[3]; their TTL is extended to the record's,
   * never shortened. ARGV: record, ttl ms, score, agent id. 0: the id exists already, 1: created.
   */
  errandAgentCreate: {
    numberOfKeys: -1,
    lua: `
if not redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2], 'NX') then return 0 end
local ms = tonumber(ARGV[2])
for i = 2, #KEYS do
  redis.call('ZADD', KEYS[i], ARGV[3], ARGV[4])
  local ttl = redis.call('PTTL', KEYS[i])
  if ttl ~= -2 and ttl < ms then redis.call('PEXPIRE', KEYS[i], ms) end
end
return 1`,
  },
  /**
   * Agent record compare-and-set that keeps the indexes in step: writes ARGV[2] if the stored
   * record's version is still ARGV[1], sets its TTL (ARGV[3] ms), then removes the agent (ARGV[5])
   * from the first ARGV[4] index keys after KEYS[1] and adds it, with score ARGV[6], to the rest
   * (whose TTL is extended to the record's). -1: no record, 0: lost the race, 1: written.
   */
  errandAgentCas: {
    numberOfKeys: -1,
    lua: `
local current = redis.call('GET', KEYS[1])
if not current then return -1 end
local version = cjson.decode(current)['version']
if tostring(version) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
local removals = tonumber(ARGV[4])
local ms = tonumber(ARGV[3])
for i = 2, #KEYS do
  if i <= removals + 1 then
    redis.call('ZREM', KEYS[i], ARGV[5])
  else
    redis.call('ZADD', KEYS[i], ARGV[6], ARGV[5])
    local ttl = redis.call('PTTL', KEYS[i])
    if ttl ~= -2 and ttl < ms then redis.call('PEXPIRE', KEYS[i], ms) end
  end
end
return 1`,
  },
  /**
   * Run admission: drop slots whose agent is gone or settled, then admit if both sets are under
   * their limits. Atomic, so two workers never both take the last slot.
   * KEYS: workspace set, person set. ARGV: agent id, max workspace, max person, agent key prefix.
   */
  errandAdmit: {
    numberOfKeys: 2,
    lua: `
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
return {1, 0}`,
  },
  /** Renews a lease (PEXPIRE ARGV[2]) if KEYS[1] still holds the token ARGV[1]. */
  errandLeaseRenew: {
    numberOfKeys: 1,
    lua: `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) else return 0 end`,
  },
  /** Releases a lease if KEYS[1] still holds the token ARGV[1]. */
  errandLeaseRelease: {
    numberOfKeys: 1,
    lua: `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end`,
  },
  /** Hash field compare-and-set: HSET KEYS[1] ARGV[1] ARGV[3] if the field still holds ARGV[2]. */
  errandHashCas: {
    numberOfKeys: 1,
    lua: `if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then return redis.call('HSET', KEYS[1], ARGV[1], ARGV[3]) end return 0`,
  },
  /**
   * A follow-up queued once per request id: appends ARGV[1] to the inbox list KEYS[1] unless the
   * set KEYS[2] already holds the request id ARGV[2]. The list's new length, or 0 when it was
   * queued before (a retried delivery).
   */
  errandInboxPushOnce: {
    numberOfKeys: 2,
    lua: `
if redis.call('SADD', KEYS[2], ARGV[2]) == 0 then return 0 end
return redis.call('RPUSH', KEYS[1], ARGV[1])`,
  },
  /**
   * Retention from one place: KEYS[2..] get the remaining lifetime of the agent record KEYS[1], so
   * every key of an agent lives exactly as long as the agent (its workspace's retention + a day).
   * Without a record (not stored yet, or forgotten), ARGV[1] ms.
   */
  errandFollowAgent: {
    numberOfKeys: -1,
    lua: `
local ttl = redis.call('PTTL', KEYS[1])
if ttl <= 0 then ttl = tonumber(ARGV[1]) end
for i = 2, #KEYS do redis.call('PEXPIRE', KEYS[i], ttl) end
return ttl`,
  },
  /**
   * One page of agents, newest first, without storing an intersection: those in any of the first
   * ARGV[1] keys (the status sets; none: no status filter) and in every other key (the workspace or
   * owner set, word sets), with a score below ARGV[2] (`+inf` or `(<score>`). It walks the cheapest
   * side (the smallest "every" set, or the status sets merged newest first) in chunks (twice the
   * matches wanted, doubling up to ARGV[5]) and checks each chunk against the other sets with
   * ZMSCORE, so it stops at ARGV[3] matches and never builds a set. At most ARGV[4] candidates are
   * looked at per call (Redis runs one script at a time). It returns each match's record too (key
   * ARGV[6] .. id; false when gone): one round trip per page. Reply: id, score, record, ... and last
   * the `max` to continue from ('' when the sets are exhausted). Reads records it is not given as
   * keys, like errandAdmit: a single Redis or Sentinel, not Cluster.
   */
  errandAgentSearch: {
    numberOfKeys: -1,
    lua: `
local nAny = tonumber(ARGV[1])
local max = ARGV[2]
local want = tonumber(ARGV[3])
local budget = tonumber(ARGV[4])
local chunkMax = tonumber(ARGV[5])
local chunk = math.min(math.max(want * 2, 16), chunkMax)
local any, all = {}, {}
for i = 1, #KEYS do
  if i <= nAny then any[#any + 1] = KEYS[i] else all[#all + 1] = KEYS[i] end
end
local anySize = 0
for _, key in ipairs(any) do anySize = anySize + redis.call('ZCARD', key) end
local smallest, smallestSize = nil, nil
for i, key in ipairs(all) do
  local size = redis.call('ZCARD', key)
  if smallestSize == nil or size < smallestSize then smallest, smallestSize = i, size end
end
if smallestSize == 0 or (nAny > 0 and anySize == 0) then return { '' } end
local drivers, mustAll, mustAny = any, all, {}
if smallest and (nAny == 0 or smallestSize < anySize) then
  drivers, mustAll, mustAny = { all[smallest] }, {}, any
  for i, key in ipairs(all) do if i ~= smallest then mustAll[#mustAll + 1] = key end end
end
local found = {}
local looked = 0
while true do
  local merged = {}
  for _, key in ipairs(drivers) do
    local page = redis.call('ZREVRANGEBYSCORE', key, max, '-inf', 'WITHSCORES', 'LIMIT', 0, chunk)
    for j = 1, #page, 2 do merged[#merged + 1] = { page[j], tonumber(page[j + 1]), page[j + 1] } end
  end
  if #merged == 0 then found[#found + 1] = ''; return found end
  if #drivers > 1 then
    table.sort(merged, function(a, b) if a[2] == b[2] then return a[1] > b[1] end return a[2] > b[2] end)
  end
  local n = math.min(#merged, chunk)
  local ids, keep = {}, {}
  for j = 1, n do ids[j] = merged[j][1]; keep[j] = true end
  for _, key in ipairs(mustAll) do
    local scores = redis.call('ZMSCORE', key, unpack(ids))
    for j = 1, n do if not scores[j] then keep[j] = false end end
  end
  if #mustAny > 0 then
    local hit = {}
    for _, key in ipairs(mustAny) do
      local scores = redis.call('ZMSCORE', key, unpack(ids))
      for j = 1, n do if scores[j] then hit[j] = true end end
    end
    for j = 1, n do keep[j] = keep[j] and hit[j] == true end
  end
  for j = 1, n do
    if keep[j] then
      found[#found + 1] = ids[j]
      found[#found + 1] = merged[j][3]
      found[#found + 1] = redis.call('GET', ARGV[6] .. ids[j])
      if #found / 3 >= want then found[#found + 1] = '(' .. merged[j][3]; return found end
    end
  end
  looked = looked + n
  if #merged < chunk then found[#found + 1] = ''; return found end
  max = '(' .. merged[n][3]
  if looked >= budget then found[#found + 1] = max; return found end
  chunk = math.min(chunk * 2, chunkMax)
end`,
  },
  /** Index keys shared by agents: extend each key's TTL to ARGV[1] ms, never shorten it. */
  errandExtendTtl: {
    numberOfKeys: -1,
    lua: `
local ms = tonumber(ARGV[1])
for i = 1, #KEYS do
  local ttl = redis.call('PTTL', KEYS[i])
  if ttl ~= -2 and ttl < ms then redis.call('PEXPIRE', KEYS[i], ms) end
end
return 1`,
  },
} as const;

type Reply<T> = Promise<T>;

/** The commands `defineScripts` adds, typed. */
export interface ScriptCommands {
  errandAgentCreate(numberOfKeys: number, ...keysThenArgs: string[]): Reply<number>;
  errandAgentCas(numberOfKeys: number, ...keysThenArgs: string[]): Reply<number>;
  errandAdmit(workspaceSet: string, personSet: string, agentId: string, maxWorkspace: string, maxPerson: string, agentPrefix: string): Reply<[number, number, string?]>;
  errandLeaseRenew(key: string, token: string, ttlMs: string): Reply<number>;
  errandLeaseRelease(key: string, token: string): Reply<number>;
  errandHashCas(key: string, field: string, before: string, after: string): Reply<number>;
  errandFollowAgent(numberOfKeys: number, ...keysThenFallbackMs: string[]): Reply<number>;
  errandInboxPushOnce(inbox: string, seen: string, item: string, requestId: string): Reply<number>;
  errandExtendTtl(numberOfKeys: number, ...keysThenMs: string[]): Reply<number>;
  errandAgentSearch(numberOfKeys: number, ...keysThenArgs: string[]): Reply<(string | null)[]>;
}

/** The same commands queued on a MULTI or pipeline. */
export type ScriptedChain = ReturnType<Redis['multi']> & {
  errandFollowAgent(numberOfKeys: number, ...keysThenFallbackMs: string[]): ScriptedChain;
  errandExtendTtl(numberOfKeys: number, ...keysThenMs: string[]): ScriptedChain;
};

export type ScriptedRedis = Redis & ScriptCommands;

const defined = new WeakSet<Redis>();

/** Defines the store's scripts on this client (once; later calls return the same client). */
export function defineScripts(redis: Redis): ScriptedRedis {
  if (!defined.has(redis)) {
    for (const [name, script] of Object.entries(scripts)) {
      redis.defineCommand(name, { numberOfKeys: script.numberOfKeys < 0 ? undefined : script.numberOfKeys, lua: script.lua } as { numberOfKeys?: number; lua: string });
    }
    defined.add(redis);
  }
  return redis as ScriptedRedis;
}

/** A MULTI on a scripted client, typed so the scripts can be queued in it. */
export function multi(redis: ScriptedRedis): ScriptedChain {
  return redis.multi() as unknown as ScriptedChain;
}

/** The arguments of a variadic-key script: key count, keys, then the rest. */
export function withKeys(keys: string[], ...args: (string | number)[]): [number, ...string[]] {
  return [keys.length, ...keys, ...args.map(String)];
}
