/** @module Brute-force lock-out for the admin sign-in: N failures within a window lock a client IP out for a while. */

export interface LockoutOptions {
  /** Failures allowed within `windowMs` before the lock (default 5). */
  maxFailures?: number;
  /** Default 15 minutes. */
  windowMs?: number;
  /** How long the lock lasts (default 15 minutes). */
  lockMs?: number;
  /** Most client IPs tracked (default 10,000; the least recently failing is forgotten first). */
  maxEntries?: number;
  now?: () => number;
}

export interface Lockout {
  /** Milliseconds left on the lock for `ip`, or 0 when it may try. */
  lockedFor(ip: string): number;
  /** Record a failed sign-in; returns the lock duration now in force (0 if not locked). */
  fail(ip: string): number;
  /** A successful sign-in clears the record. */
  succeed(ip: string): void;
  size(): number;
}

interface Entry {
  failures: number[];
  lockedUntil: number;
}

/** Keyed on the `clientIp` context variable, so X-Forwarded-For is only believed from trusted proxies. */
export function createLockout(options: LockoutOptions = {}): Lockout {
  const maxFailures = options.maxFailures ?? 5;
  const windowMs = options.windowMs ?? 15 * 60_000;
  const lockMs = options.lockMs ?? 15 * 60_000;
  const maxEntries = options.maxEntries ?? 10_000;
  const now = options.now ?? Date.now;
  if (!Number.isInteger(maxFailures) || maxFailures < 1) throw new RangeError("maxFailures must be a positive integer");
  const entries = new Map<string, Entry>();
  const current = (ip: string, t: number): Entry | undefined => {
    const e = entries.get(ip);
    if (!e) return undefined;
    e.failures = e.failures.filter((f) => f > t - windowMs);
    if (e.failures.length === 0 && e.lockedUntil <= t) {
      entries.delete(ip);
      return undefined;
    }
    return e;
  };
  return {
    lockedFor(ip) {
      const t = now();
      const e = current(ip, t);
      return e && e.lockedUntil > t ? e.lockedUntil - t : 0;
    },
    fail(ip) {
      const t = now();
      const e = current(ip, t) ?? { failures: [], lockedUntil: 0 };
      entries.delete(ip);
      entries.set(ip, e);
      e.failures.push(t);
      if (e.failures.length >= maxFailures) {
        e.lockedUntil = t + lockMs;
        e.failures = [];
      }
      while (entries.size > maxEntries) entries.delete(entries.keys().next().value!);
      return e.lockedUntil > t ? e.lockedUntil - t : 0;
    },
    succeed: (ip) => void entries.delete(ip),
    size: () => entries.size,
  };
}
