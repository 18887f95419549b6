/** @module Tests for the sliding-window limiter: window edges, retry time, memory bound. */

import { assert, assertEquals, assertThrows } from "../../tests/helpers/assert.ts";
import { createSlidingWindow } from "./sliding_window.ts";

function clock(start = 1_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => void (t += ms) };
}

Deno.test("createSlidingWindow() allows `limit` requests per window and then refuses", () => {
  const c = clock();
  const l = createSlidingWindow({ limit: 3, windowMs: 60_000, now: c.now });
  assertEquals([1, 2, 3].map(() => l.hit("a").allowed), [true, true, true]);
  assertEquals(l.hit("a").allowed, false);
  assertEquals(l.hit("b").allowed, true);
});

Deno.test("createSlidingWindow() says when the oldest request leaves the window", () => {
  const c = clock();
  const l = createSlidingWindow({ limit: 2, windowMs: 60_000, now: c.now });
  l.hit("a");
  c.advance(10_000);
  l.hit("a");
  c.advance(5_500);
  const d = l.hit("a");
  assert(!d.allowed);
  assertEquals(d.retryAfterMs, 44_500);
  c.advance(44_499);
  assertEquals(l.hit("a").allowed, false);
  c.advance(1);
  assertEquals(l.hit("a").allowed, true);
});

Deno.test("createSlidingWindow() does not record refused requests", () => {
  const c = clock();
  const l = createSlidingWindow({ limit: 1, windowMs: 1000, now: c.now });
  l.hit("a");
  for (let i = 0; i < 5; i++) c.advance(100), l.hit("a");
  c.advance(500);
  assertEquals(l.hit("a").allowed, true);
});

Deno.test("createSlidingWindow() marks only the first refusal per window for reporting", () => {
  const c = clock();
  const l = createSlidingWindow({ limit: 1, windowMs: 1000, now: c.now });
  l.hit("a");
  const first = l.hit("a"), second = l.hit("a");
  assert(!first.allowed && first.firstRejection && !second.allowed && !second.firstRejection);
});

Deno.test("createSlidingWindow() never tracks more than maxEntries keys and forgets the least recently seen", () => {
  const c = clock();
  const l = createSlidingWindow({ limit: 1, windowMs: 60_000, maxEntries: 100, now: c.now });
  l.hit("keep");
  for (let i = 0; i < 10_000; i++) {
    l.hit(`10.0.${i >> 8}.${i & 255}`);
    if (i % 50 === 0) l.hit("keep");
    assert(l.size() <= 100);
  }
  assertEquals(l.hit("keep").allowed, false, "a key seen recently is still limited");
  assertEquals(l.hit("10.0.0.0").allowed, true, "the oldest key was forgotten");
});

Deno.test("createSlidingWindow() drops keys whose requests have all left the window", () => {
  const c = clock();
  const l = createSlidingWindow({ limit: 5, windowMs: 1000, now: c.now });
  for (let i = 0; i < 50; i++) l.hit(`k${i}`);
  c.advance(1000);
  l.hit("new");
  assertEquals(l.size(), 1);
});

Deno.test("createSlidingWindow() refuses bad options when built", () => {
  assertThrows(() => createSlidingWindow({ limit: 0, windowMs: 1000 }), (e) => e instanceof RangeError);
  assertThrows(() => createSlidingWindow({ limit: 1.5, windowMs: 1000 }), (e) => e instanceof RangeError);
  assertThrows(() => createSlidingWindow({ limit: 1, windowMs: 0 }), (e) => e instanceof RangeError);
  assertThrows(() => createSlidingWindow({ limit: 1, windowMs: 10, maxEntries: 0 }), (e) => e instanceof RangeError);
});
