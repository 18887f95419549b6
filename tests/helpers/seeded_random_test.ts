/** @module Tests for the seeded generator: a stable sequence per seed and the TALOSCTL_OIDC_TEST_SEED override. */

import { assertEquals, assertThrows } from "./assert.ts";
import { SEED_ENV, seededRandom, testSeed } from "./seeded_random.ts";

/** Run `fn` with the override set to `value` (or unset), restoring what was there. */
function withSeedEnv<T>(value: string | undefined, fn: () => T): T {
  const before = Deno.env.get(SEED_ENV);
  if (value === undefined) Deno.env.delete(SEED_ENV);
  else Deno.env.set(SEED_ENV, value);
  try {
    return fn();
  } finally {
    if (before === undefined) Deno.env.delete(SEED_ENV);
    else Deno.env.set(SEED_ENV, before);
  }
}

Deno.test("seededRandom() yields mulberry32's sequence, so seeds recorded before the merge replay the same cases", () => {
  withSeedEnv(undefined, () => {
    const r = seededRandom(0x5eed);
    assertEquals([r.next(), r.next(), r.next()], [0.7100320369936526, 0.286336648510769, 0.9519026265479624]);
    assertEquals(r.label, `seed ${0x5eed} (rerun with ${SEED_ENV}=${0x5eed})`);
  });
});

Deno.test("seededRandom() draws integers, picks and bytes in range from the same stream", () => {
  withSeedEnv(undefined, () => {
    const a = seededRandom(7), b = seededRandom(7);
    const ints = Array.from({ length: 500 }, () => a.int(3));
    assertEquals(new Set(ints), new Set([0, 1, 2]));
    assertEquals(ints, Array.from({ length: 500 }, () => Math.floor(b.next() * 3)));
    assertEquals(a.bytes(4).length, 4);
    assertEquals(["x"].includes(a.pick(["x"])), true);
    assertThrows(() => a.pick([]), (e) => e instanceof RangeError);
  });
});

Deno.test("TALOSCTL_OIDC_TEST_SEED replaces the fixed seed; a value that is not a seed is refused by name", () => {
  assertEquals(withSeedEnv(undefined, () => testSeed(42)), 42);
  assertEquals(withSeedEnv("", () => testSeed(42)), 42);
  assertEquals(withSeedEnv("123", () => testSeed(42)), 123);
  assertEquals(withSeedEnv("0xfeed", () => testSeed(42)), 0xfeed);
  assertEquals(withSeedEnv("4294967295", () => seededRandom(1).seed), 4294967295);
  for (const bad of ["-1", "4294967296", "1.5", "seed", "0x123456789"]) {
    const err = withSeedEnv(bad, () => assertThrows(() => testSeed(42))) as Error;
    assertEquals([err instanceof TypeError, err.message.includes(SEED_ENV)], [true, true], bad);
  }
});
