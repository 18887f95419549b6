/**
 * @module The Lua scripts that make each shared decision one atomic step in Redis/Valkey, with the same rules as the
 * in-process store (sliding_window.ts, lockout.ts): replicas can race, a script cannot be interleaved. Every window and
 * lock is measured on the store's clock (TIME, read inside the script), so replicas whose clocks disagree, or one whose
 * clock is stepped, still share one window and one lock: none ends it early or late.
 */

/**
 * The store's time in whole milliseconds, as `now`. TIME in a script that then writes needs effects replication: the
 * default from Redis 5, the only mode from Redis 7 and in Valkey (the replicas get the writes, not the script).
 */
const STORE_NOW = `
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
`;

/**
 * Sliding-log limit. KEYS: the log (sorted set of accepted request times), when a refusal was last reported. Every
 * decision uses the store's `now` (the expiries only clean up), as the in-process limiter uses its own.
 * ARGV: window (ms), limit, a unique member. Returns {1, remaining} or {0, retryAfterMs, firstRejection}.
 */
export const HIT = `${STORE_NOW}
local log, reported = KEYS[1], KEYS[2]
local win, limit = tonumber(ARGV[1]), tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', log, '-inf', now - win)
local n = redis.call('ZCARD', log)
if n < limit then
  redis.call('ZADD', log, now, ARGV[3])
  redis.call('PEXPIRE', log, win)
  return {1, limit - n - 1}
end
local oldest = tonumber(redis.call('ZRANGE', log, 0, 0, 'WITHSCORES')[2])
local first = 0
local at = tonumber(redis.call('GET', reported))
if at == nil or at <= now - win then
  redis.call('SET', reported, now, 'PX', win)
  first = 1
end
return {0, math.max(0, oldest + win - now), first}
`;

/**
 * One admin sign-in attempt. KEYS: the address's record (hash: f = failures, u = locked until, store time). ARGV: ok
 * (1/0), free failures, first lock ms, longest lock ms, forget ms. Returns {0, retryMs} (locked, not counted), {1} (ok,
 * record cleared) or {2, lockMs} (failure counted).
 */
export const ATTEMPT = `${STORE_NOW}
local h = redis.call('HMGET', KEYS[1], 'f', 'u')
local f, u = tonumber(h[1]) or 0, tonumber(h[2]) or 0
if u > now then return {0, u - now} end
if ARGV[1] == '1' then
  redis.call('DEL', KEYS[1])
  return {1}
end
f = f + 1
local over = f - tonumber(ARGV[2])
if over > 0 then u = now + math.min(tonumber(ARGV[4]), tonumber(ARGV[3]) * 2 ^ math.min(over - 1, 40)) end
redis.call('HSET', KEYS[1], 'f', f, 'u', u)
redis.call('PEXPIRE', KEYS[1], math.max(0, u - now) + tonumber(ARGV[5]))
return {2, math.max(0, u - now)}
`;

/** Milliseconds left on an address's lock, on the store's clock. KEYS: the address's record. */
export const LOCKED_FOR = `${STORE_NOW}
local u = tonumber(redis.call('HGET', KEYS[1], 'u')) or 0
return math.max(0, u - now)
`;
