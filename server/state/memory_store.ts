/**
 * @module The in-process state store (no `state_store`): the sliding-window limiters, lock-out, sessions, tracker and
 * block list of one process, answered synchronously. With workers, the owner thread holds it and the workers ask it.
 */

import type { CertRecord } from "../admin/cert_record.ts";
import { createLockout } from "../admin/lockout.ts";
import { createSessionStore } from "../admin/sessions.ts";
import { createTracker } from "../admin/tracker.ts";
import { createSlidingWindow, type SlidingWindowLimiter } from "../middleware/sliding_window.ts";
import { createMemoryBlockList } from "./blocks.ts";
import type { LimitScope, StateStore } from "./types.ts";

export interface MemoryStoreOptions {
  /** rate_limit_requests (per IP) and rate_limit_per_subject within windowMs; 0 = that limiter is off. */
  rateLimit: { readonly requests: number; readonly windowMs: number; readonly perSubject: number };
  /** Milliseconds since the epoch (tests inject it): sessions, issuance history, block expiry. */
  now: () => number;
  /**
   * Monotonic milliseconds (Clock.elapsed) for the rate windows and the lock-out, so a stepped wall clock neither
   * resets nor stretches them; `now` when not given.
   */
  elapsed?: () => number;
  /** Issuance records restored from data_dir/certs.jsonl (oldest first). */
  history?: readonly CertRecord[];
  /** Called with each new issuance record (to persist it). */
  onRecord?: (record: CertRecord) => void;
}

/**
 * Build the store. @throws {RangeError} for a negative or fractional limit or a window under 1 ms (the config
 * parser refuses those first; this guards other callers).
 */
export function createMemoryStore(o: MemoryStoreOptions): StateStore {
  const elapsed = o.elapsed ?? o.now;
  const limit = (requests: number, what: string): SlidingWindowLimiter | undefined => {
    if (!Number.isInteger(requests) || requests < 0) {
      throw new RangeError(`${what} must be a whole number (0 = disabled), got ${requests}`);
    }
    return requests === 0
      ? undefined
      : createSlidingWindow({ limit: requests, windowMs: o.rateLimit.windowMs, now: elapsed });
  };
  const limiters: Record<LimitScope, SlidingWindowLimiter | undefined> = {
    ip: limit(o.rateLimit.requests, "rate_limit_requests"),
    subject: limit(o.rateLimit.perSubject, "rate_limit_per_subject"),
  };
  const tracker = createTracker({ now: () => new Date(o.now()), history: o.history, onRecord: o.onRecord });
  return {
    name: "memory",
    limiter: (scope) => limiters[scope],
    lockout: createLockout({ now: elapsed }),
    sessions: createSessionStore({ now: o.now }),
    history: {
      record: (e) => tracker.observe(e),
      stats: () => tracker.stats(),
      certs: (options) => tracker.certs(options),
      issuanceSeries: (bucketMs, buckets) => tracker.issuanceSeries(bucketMs, buckets),
    },
    blocks: createMemoryBlockList(o.now),
    health: () => ({ ok: true }),
    limiterEntries: () => limiters.ip?.size() ?? 0,
    close: () => Promise.resolve(),
  };
}
