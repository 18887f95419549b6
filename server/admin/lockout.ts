/**
 * @module Brute-force lock-out for the admin token, shared by the dashboard sign-in and the bearer API: exponential
 * back-off per client address, so a guesser slows to a crawl while other addresses are never held up.
 */

/** The default rules (every store applies the same: server/state/redis_scripts.ts ATTEMPT too). */
export const LOCKOUT_DEFAULTS = Object.freeze({
  maxFailures: 5,
  baseLockMs: 1000,
  maxLockMs: 15 * 60_000,
  forgetMs: 24 * 3_600_000,
});

export interface LockoutOptions {
  /** The failure that brings the first lock (default the 5th). */
  maxFailures?: number;
  /** The first lock (default 1 s); each further failure doubles it. */
  baseLockMs?: number;
  /** The longest lock (default 15 minutes). */
  maxLockMs?: number;
  /** A client's failures are forgotten this long after its last one (default 24 h). */
  forgetMs?: number;
  /** Most client addresses tracked (default 10,000; the least recently failing is forgotten first). */
  maxEntries?: number;
  now?: () => number;
}

/** What one sign-in attempt came to: refused unchecked (locked), accepted, or a counted failure and its lock. */
export type Attempt =
  | { readonly outcome: "locked"; readonly retryMs: number }
  | { readonly outcome: "ok" }
  | { readonly outcome: "failed"; readonly lockMs: number };

export interface Lockout {
  /** Milliseconds left on the lock for `key`, or 0 when it may try. */
  lockedFor(key: string): number;
  /**
   * One attempt whose token was already compared (`ok`): while `key` is locked it is refused and not counted; else a
   * failure is counted and a success clears the record. One step, so concurrent attempts cannot slip past a lock.
   */
  attempt(key: string, ok: boolean): Attempt;
  /** Record a failed attempt (one made while not locked); returns the lock now in force (0 if none). */
  fail(key: string): number;
  /** A successful attempt clears the record. */
  succeed(key: string): void;
  size(): number;
}

interface Entry {
  failures: number;
  lastFailure: number;
  lockedUntil: number;
}

/**
 * Keyed by the caller (the client address from clientIp(), IPv6 by /64: clientKey), never global: a guesser locks
 * out only its own address. The `maxFailures`-th failure locks the address for `baseLockMs`, and each further one for
 * twice as long as the one before, at most `maxLockMs`; attempts during a lock are refused unchecked and do not count, so a
 * lock always ends. Admins sharing a NAT address with a guesser share its lock: at most `maxLockMs` at a time.
 */
export function createLockout(options: LockoutOptions = {}): Lockout {
  const free = (options.maxFailures ?? LOCKOUT_DEFAULTS.maxFailures) - 1;
  const base = options.baseLockMs ?? LOCKOUT_DEFAULTS.baseLockMs;
  const max = options.maxLockMs ?? LOCKOUT_DEFAULTS.maxLockMs;
  const forget = options.forgetMs ?? LOCKOUT_DEFAULTS.forgetMs;
  const maxEntries = options.maxEntries ?? 10_000;
  const now = options.now ?? Date.now;
  if (!Number.isInteger(free) || free < 0) throw new RangeError("maxFailures must be a positive integer");
  if (!(base >= 1 && max >= base)) throw new RangeError("lock durations must satisfy 1 <= baseLockMs <= maxLockMs");
  const entries = new Map<string, Entry>();
  const current = (key: string, t: number): Entry | undefined => {
    const e = entries.get(key);
    if (e && e.lockedUntil <= t && e.lastFailure <= t - forget) entries.delete(key);
    return entries.get(key);
  };
  const lockout: Lockout = {
    lockedFor(key) {
      const t = now();
      const e = current(key, t);
      return e && e.lockedUntil > t ? e.lockedUntil - t : 0;
    },
    attempt(key, ok) {
      const retryMs = lockout.lockedFor(key);
      if (retryMs > 0) return { outcome: "locked", retryMs };
      if (ok) return lockout.succeed(key), { outcome: "ok" };
      return { outcome: "failed", lockMs: lockout.fail(key) };
    },
    fail(key) {
      const t = now();
      const e = current(key, t) ?? { failures: 0, lastFailure: t, lockedUntil: 0 };
      entries.delete(key); // re-insert: the Map's order is the recency order for eviction
      entries.set(key, e);
      e.failures++;
      e.lastFailure = t;
      const over = e.failures - free;
      // The lock itself, not lockedUntil - t: with a fractional clock (performance.now()) the difference can come out
      // as 2000.0000000000018 ms, which the audit line would round up to "locked out for 3 s".
      const lock = over > 0 ? Math.min(max, base * 2 ** Math.min(over - 1, 40)) : 0;
      if (lock > 0) e.lockedUntil = t + lock;
      while (entries.size > maxEntries) entries.delete(entries.keys().next().value!);
      return lock;
    },
    succeed: (key) => void entries.delete(key),
    size: () => entries.size,
  };
  return lockout;
}
