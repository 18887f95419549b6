/** @module A sliding-log rate limiter per key with a hard cap on tracked keys (LRU eviction) and an injected clock. */

export type RateDecision =
  | { readonly allowed: true; readonly remaining: number }
  | { readonly allowed: false; readonly retryAfterMs: number; readonly firstRejection: boolean };

export interface SlidingWindowOptions {
  /** Requests allowed per key within any window (a positive integer). */
  limit: number;
  windowMs: number;
  /** Most keys tracked at once (default 10,000); the least recently seen is forgotten first. */
  maxEntries?: number;
  /** Milliseconds since the epoch (tests inject it; default Date.now). */
  now?: () => number;
}

interface Entry {
  key: string;
  /** Accepted request times, oldest first; never longer than `limit`. */
  times: number[];
  /** When this key was last refused and that refusal reported (audit throttling); -Infinity when never. */
  reportedAt: number;
  /** Neighbours in recency order: `newer` towards the most recently seen, `older` towards the least. */
  newer?: Entry;
  older?: Entry;
}

export interface SlidingWindowLimiter {
  /** Count one request for `key` and say whether it may go ahead. Refused requests are not recorded. */
  hit(key: string): RateDecision;
  /** Keys currently tracked (bounded by maxEntries). */
  size(): number;
}

/**
 * Memory is bounded: at most `maxEntries` keys × `limit` timestamps. Keys sit in a Map plus a
 * doubly linked recency list (every operation O(1); the Map is never iterated, so deleted slots
 * cannot slow it down). Each call first drops least-recently-seen keys whose requests have all
 * left the window (they would allow everything anyway), then, when full, evicts the least recent.
 * Trade-off: a flood of more than `maxEntries` distinct addresses makes the limiter forget the
 * oldest ones, so it errs towards letting a forgotten client through, never towards blocking
 * an innocent one; someone holding that many addresses can dodge a per-IP limit regardless,
 * which is what the per-subject limit and the allowlist are for.
 */
export function createSlidingWindow(options: SlidingWindowOptions): SlidingWindowLimiter {
  const { limit, windowMs } = options;
  const maxEntries = options.maxEntries ?? 10_000;
  const now = options.now ?? Date.now;
  if (!Number.isInteger(limit) || limit < 1) {
    throw new RangeError(`rate limit must be a positive integer, got ${limit}`);
  }
  if (!(windowMs >= 1)) throw new RangeError(`rate limit window must be at least 1 ms, got ${windowMs}`);
  if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new RangeError("maxEntries must be a positive integer");
  const entries = new Map<string, Entry>();
  let newest: Entry | undefined, oldest: Entry | undefined;

  const unlink = (e: Entry) => {
    if (e.newer) e.newer.older = e.older;
    else newest = e.older;
    if (e.older) e.older.newer = e.newer;
    else oldest = e.newer;
    e.newer = e.older = undefined;
  };
  const pushNewest = (e: Entry) => {
    e.older = newest;
    if (newest) newest.newer = e;
    newest = e;
    oldest ??= e;
  };
  const drop = (e: Entry) => {
    unlink(e);
    entries.delete(e.key);
  };
  const idle = (e: Entry, t: number) =>
    (e.times.length === 0 || e.times[e.times.length - 1]! <= t - windowMs) && e.reportedAt <= t - windowMs;

  return {
    hit(key) {
      const t = now();
      while (oldest && idle(oldest, t)) drop(oldest);
      let e = entries.get(key);
      if (e) unlink(e);
      else {
        e = { key, times: [], reportedAt: Number.NEGATIVE_INFINITY };
        entries.set(key, e);
      }
      pushNewest(e);
      while (e.times.length > 0 && e.times[0]! <= t - windowMs) e.times.shift();
      if (entries.size > maxEntries && oldest && oldest !== e) drop(oldest);
      if (e.times.length < limit) {
        e.times.push(t);
        return { allowed: true, remaining: limit - e.times.length };
      }
      const firstRejection = e.reportedAt <= t - windowMs;
      if (firstRejection) e.reportedAt = t;
      return { allowed: false, retryAfterMs: Math.max(0, e.times[0]! + windowMs - t), firstRejection };
    },
    size: () => entries.size,
  };
}
