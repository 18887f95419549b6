/** @module Tests of the ISO text of a time against Date.prototype.toISOString. */

import { assertEquals, assertThrows } from "../tests/helpers/assert.ts";
import { isoString } from "./clock.ts";

Deno.test("isoString() writes what toISOString writes, edge years and milliseconds included", () => {
  const times = [
    0,
    1,
    999,
    -1,
    1796554698000,
    1796554698123,
    Date.UTC(0, 0, 1),
    Date.UTC(9999, 11, 31, 23, 59, 59, 999),
  ];
  times.push(Date.UTC(10000, 0, 1), Date.UTC(-1, 5, 1), -62198755200001, 8.64e15, -8.64e15);
  let seed = 1;
  for (let i = 0; i < 2000; i++) {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    times.push(Math.floor((seed / 2 ** 31) * 4e12)); // 1970 to 2096
  }
  for (const t of times) assertEquals(isoString(new Date(t)), new Date(t).toISOString(), String(t));
  assertThrows(() => isoString(new Date(NaN)), (e) => e instanceof RangeError);
});
