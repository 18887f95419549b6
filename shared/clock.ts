/** @module Injectable time source, so tests choose `now` instead of sleeping. */

export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** A clock fixed at `at` that tests can move forward. */
export function fixedClock(at: Date): Clock & { advance(ms: number): void } {
  let t = at.getTime();
  return { now: () => new Date(t), advance: (ms) => void (t += ms) };
}
