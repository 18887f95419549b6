/** @module Tests for the admin lock-out: exponential back-off per address, never global, always ending. */

import { assertEquals, assertThrows } from "../../tests/helpers/assert.ts";
import { createLockout } from "./lockout.ts";

function setup() {
  let t = 1_700_000_000_000;
  const lockout = createLockout({ now: () => t });
  return { lockout, advance: (ms: number) => void (t += ms) };
}

Deno.test("createLockout() locks for 1 s at the 5th failure, doubling with each further one up to 15 min", () => {
  const { lockout, advance } = setup();
  for (let i = 0; i < 4; i++) assertEquals(lockout.fail("198.51.100.7"), 0);
  const locks: number[] = [];
  for (let i = 0; i < 12; i++) {
    locks.push(lockout.fail("198.51.100.7"));
    advance(lockout.lockedFor("198.51.100.7")); // wait the lock out, then fail again
    assertEquals(lockout.lockedFor("198.51.100.7"), 0);
  }
  assertEquals(locks.map((ms) => ms / 1000), [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900]);
});

Deno.test("createLockout() keys by address: one guesser never locks another address out", () => {
  const { lockout } = setup();
  for (let i = 0; i < 20; i++) lockout.fail("203.0.113.9");
  assertEquals(lockout.lockedFor("203.0.113.9") > 0, true);
  assertEquals(lockout.lockedFor("198.51.100.7"), 0);
  assertEquals(lockout.fail("198.51.100.7"), 0);
});

Deno.test("createLockout() forgets an address 24 h after its last failure, and on success", () => {
  const { lockout, advance } = setup();
  for (let i = 0; i < 7; i++) lockout.fail("a");
  advance(24 * 3_600_000);
  assertEquals([lockout.lockedFor("a"), lockout.size()], [0, 0]);
  for (let i = 0; i < 7; i++) lockout.fail("b");
  advance(lockout.lockedFor("b"));
  lockout.succeed("b");
  assertEquals(lockout.size(), 0);
  assertEquals(lockout.fail("b"), 0, "a fresh count after a success");
});

Deno.test("createLockout() refuses impossible settings when built", () => {
  assertThrows(() => createLockout({ baseLockMs: 0 }), (e) => e instanceof RangeError);
  assertThrows(() => createLockout({ baseLockMs: 10, maxLockMs: 5 }), (e) => e instanceof RangeError);
  assertThrows(() => createLockout({ maxFailures: 0 }), (e) => e instanceof RangeError);
});

Deno.test("createLockout() reports each lock exactly on a fractional clock (performance.now()), as audit lines show it", () => {
  let t = 16_322.2 - 1015; // a performance.now() value: lockedUntil - now came out as 2000.0000000000018 here
  const lockout = createLockout({ now: () => t });
  for (let i = 0; i < 4; i++) lockout.fail("a");
  const locks = [lockout.fail("a")];
  for (let i = 0; i < 5; i++) {
    t += lockout.lockedFor("a") + 0.1;
    locks.push(lockout.fail("a"));
  }
  assertEquals(locks, [1000, 2000, 4000, 8000, 16000, 32000]);
});
