/** @module Assertions for tests (node:assert/strict under @std/assert-like names; JSR is not reachable here). */

import assertStrict from "node:assert/strict";

/** Assert a value is truthy. */
export function assert(value: unknown, message?: string): asserts value {
  assertStrict.ok(value, message);
}
/** Deep, strict equality. */
export function assertEquals<T>(actual: unknown, expected: T, message?: string): asserts actual is T {
  assertStrict.deepStrictEqual(actual, expected, message);
}
export function assertNotEquals(actual: unknown, expected: unknown, message?: string): void {
  assertStrict.notDeepStrictEqual(actual, expected, message);
}
export function assertMatch(actual: string, expected: RegExp, message?: string): void {
  assertStrict.match(actual, expected, message);
}
export function assertNotMatch(actual: string, expected: RegExp, message?: string): void {
  assertStrict.doesNotMatch(actual, expected, message);
}
export function assertStringIncludes(actual: string, expected: string, message?: string): void {
  assert(
    actual.includes(expected),
    message ?? `expected ${JSON.stringify(actual)} to include ${JSON.stringify(expected)}`,
  );
}
/** Assert `fn` throws; returns the error for further checks. */
export function assertThrows(fn: () => unknown, check?: (err: unknown) => boolean | void): unknown {
  try {
    fn();
  } catch (err) {
    if (check && check(err) === false) throw new assertStrict.AssertionError({ message: `unexpected error: ${err}` });
    return err;
  }
  throw new assertStrict.AssertionError({ message: "expected function to throw" });
}
/** Assert the promise rejects; returns the error for further checks. */
export async function assertRejects(
  fn: () => Promise<unknown>,
  check?: (err: unknown) => boolean | void,
): Promise<unknown> {
  try {
    await fn();
  } catch (err) {
    if (check && check(err) === false) throw new assertStrict.AssertionError({ message: `unexpected error: ${err}` });
    return err;
  }
  throw new assertStrict.AssertionError({ message: "expected promise to reject" });
}
