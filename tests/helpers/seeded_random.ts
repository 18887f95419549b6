/**
 * @module The one seeded random generator of the tests (mulberry32): every randomised test draws from it, with a
 * fixed seed per test that `TALOSCTL_OIDC_TEST_SEED` overrides, and prints the seed in its failure messages.
 */

/** Environment variable that replaces every test's fixed seed (decimal, or hex with 0x). */
export const SEED_ENV = "TALOSCTL_OIDC_TEST_SEED";

/** A reproducible stream of random numbers. */
export interface SeededRandom {
  readonly seed: number;
  /** "seed N (rerun with TALOSCTL_OIDC_TEST_SEED=N)", for failure messages. */
  readonly label: string;
  /** Uniform in [0, 1). A bound function: pass it around as `() => number`. */
  readonly next: () => number;
  /** Uniform integer in [0, n). */
  int(n: number): number;
  /** One element of a non-empty list. */
  pick<T>(xs: readonly T[]): T;
  /** `n` random bytes. */
  bytes(n: number): Uint8Array;
}

/** The seed a test uses: `TALOSCTL_OIDC_TEST_SEED` when set, else the test's own `fixedSeed`. */
export function testSeed(fixedSeed: number): number {
  const text = Deno.env.get(SEED_ENV)?.trim();
  if (text === undefined || text === "") return fixedSeed >>> 0;
  const value = /^0x[0-9a-f]{1,8}$/i.test(text) ? parseInt(text.slice(2), 16) : /^\d{1,10}$/.test(text) ? +text : NaN;
  if (!Number.isSafeInteger(value) || value > 0xffffffff) {
    throw new TypeError(`${SEED_ENV}="${text}" is not a seed: use an integer from 0 to 4294967295 (or 0x hex)`);
  }
  return value;
}

/** A generator seeded with `testSeed(fixedSeed)`. */
export function seededRandom(fixedSeed: number): SeededRandom {
  const seed = testSeed(fixedSeed);
  let state = seed;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), state | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number): number => Math.floor(next() * n);
  return {
    seed,
    label: `seed ${seed} (rerun with ${SEED_ENV}=${seed})`,
    next,
    int,
    pick: <T>(xs: readonly T[]): T => {
      if (xs.length === 0) throw new RangeError("pick() from an empty list");
      return xs[int(xs.length)]!;
    },
    bytes: (n: number): Uint8Array => Uint8Array.from({ length: n }, () => int(256)),
  };
}
