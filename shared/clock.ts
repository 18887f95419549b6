/**
 * @module Injectable time source, so tests choose `now` instead of sleeping; wall time apart from elapsed time; and
 * the ISO 8601 text of a time.
 */

export interface Clock {
  /** Wall-clock time: token validity, certificate NotBefore/NotAfter, log timestamps. It can be stepped (NTP, admins). */
  now(): Date;
  /**
   * Milliseconds since an arbitrary start, never stepped: for how long ago something happened (rate-limit windows,
   * back-off). A wall clock stepped by minutes would otherwise reset every window or hold everyone for minutes.
   */
  elapsed?(): number;
}

export const systemClock: Clock = { now: () => new Date(), elapsed: () => performance.now() };

/** The clock's elapsed time, or its wall time for a clock that has no separate one. */
export function elapsedMs(clock: Clock): number {
  return clock.elapsed ? clock.elapsed() : clock.now().getTime();
}

/**
 * A clock fixed at `at` that tests move: advance() lets time pass (wall and elapsed alike), step() sets the wall clock
 * off by `ms` (as NTP or an admin does) while elapsed time does not move.
 */
export function fixedClock(at: Date): Clock & { advance(ms: number): void; step(ms: number): void } {
  let wall = at.getTime();
  let elapsed = 0;
  return {
    now: () => new Date(wall),
    elapsed: () => elapsed,
    advance: (ms) => void (wall += ms, elapsed += ms),
    step: (ms) => void (wall += ms),
  };
}

/**
 * `date` as Date.prototype.toISOString writes it ("2026-12-06T10:58:18.000Z"), without calling it: its first call
 * costs ~0.2 ms of runtime set-up, and `kube token` (kubectl's every command) writes one. Years outside 0-9999 and
 * invalid dates (RangeError) are left to toISOString.
 */
export function isoString(date: Date): string {
  const year = date.getUTCFullYear();
  if (!(year >= 0 && year <= 9999)) return date.toISOString();
  const pad = (n: number, width = 2) => String(n).padStart(width, "0");
  return `${pad(year, 4)}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())}T${pad(date.getUTCHours())}:` +
    `${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())}.${pad(date.getUTCMilliseconds(), 3)}Z`;
}
