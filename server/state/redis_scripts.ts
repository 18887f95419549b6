/**
 * @module The Lua scripts that make each shared decision one atomic step in Redis/Valkey, with the same rules as the
 * in-process store (sliding_window.ts, lockout.ts): replicas can race, a script cannot be interleaved.
 */

/**
 * Sliding-log limit. KEYS: the log (sorted set of accepted request times), when a refusal was last reported. Every
 * decision uses the caller's `now` (the expiries only clean up), as the in-process limiter does.
 * ARGV: now (ms), window (ms), limit, a unique member. Returns {1, remaining} or {0, retryAfterMs, firstRejection}.
 */
export const HIT = `
local log, reported = KEYS[1], KEYS[2]
local now, win, limit = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', log, '-inf', now - win)
local n = redis.call('ZCARD', log)
if n < limit then
  redis.call('ZADD', log, now, ARGV[4])
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
 * One admin sign-in attempt. KEYS: the address's record (hash: f = failures, u = locked until). ARGV: now, ok (1/0),
 * free failures, first lock ms, longest lock ms, forget ms. Returns {0, retryMs} (locked, not counted), {1} (ok,
 * record cleared) or {2, lockMs} (failure counted).
 */
export const ATTEMPT = `
local now = tonumber(ARGV[1])
local h = redis.call('HMGET', KEYS[1], 'f', 'u')
local f, u = tonumber(h[1]) or 0, tonumber(h[2]) or 0
if u > now then return {0, u - now} end
if ARGV[2] == '1' then
  redis.call('DEL', KEYS[1])
  return {1}
end
f = f + 1
local over = f - tonumber(ARGV[3])
if over > 0 then u = now + math.min(tonumber(ARGV[5]), tonumber(ARGV[4]) * 2 ^ math.min(over - 1, 40)) end
redis.call('HSET', KEYS[1], 'f', f, 'u', u)
redis.call('PEXPIRE', KEYS[1], math.max(0, u - now) + tonumber(ARGV[6]))
return {2, math.max(0, u - now)}
`;
