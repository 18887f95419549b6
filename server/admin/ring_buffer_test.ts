/** @module Tests for the fixed-capacity ring buffer behind the admin issuance history. */

import { assertEquals, assertThrows } from "../../tests/helpers/assert.ts";
import { createRingBuffer } from "./ring_buffer.ts";

Deno.test("createRingBuffer() keeps every item, oldest first, until it is full", () => {
  const r = createRingBuffer<number>(3);
  assertEquals([r.size, r.toArray()], [0, []]);
  r.push(1);
  r.push(2);
  assertEquals([r.size, r.toArray()], [2, [1, 2]]);
});

Deno.test("createRingBuffer() drops the oldest item once full, across several wrap-arounds", () => {
  const r = createRingBuffer<number>(3);
  const seen: number[] = [];
  for (let i = 1; i <= 10; i++) {
    r.push(i);
    seen.push(i);
    assertEquals(r.toArray(), seen.slice(-3));
  }
  assertEquals(r.size, 3);
});

Deno.test("createRingBuffer() is seeded with the newest items of the initial list and continues after them", () => {
  const r = createRingBuffer(3, [1, 2, 3, 4, 5]);
  assertEquals(r.toArray(), [3, 4, 5]);
  r.push(6);
  assertEquals(r.toArray(), [4, 5, 6]);
  const short = createRingBuffer(3, [1, 2]);
  short.push(3);
  short.push(4);
  assertEquals(short.toArray(), [2, 3, 4]);
});

Deno.test("createRingBuffer() returns a copy that later pushes do not change", () => {
  const r = createRingBuffer<string>(2);
  r.push("a");
  const before = r.toArray();
  r.push("b");
  r.push("c");
  assertEquals(before, ["a"]);
  assertEquals(r.toArray(), ["b", "c"]);
});

Deno.test("createRingBuffer() refuses a capacity that is not a positive integer", () => {
  for (const bad of [0, -1, 1.5, Number.NaN]) {
    assertThrows(() => createRingBuffer(bad), (e) => e instanceof RangeError);
  }
});
