/** @module Tests for the auth_failure aggregation: one line per address and reason per window, with a count. */

import { assertEquals, assertThrows } from "../../tests/helpers/assert.ts";
import { createFailureAggregator } from "./failure_aggregator.ts";
import type { AuditEvent } from "./types.ts";

function setup(windowMs = 60_000, maxEntries?: number) {
  let t = 1_700_000_000_000;
  const lines: AuditEvent[] = [];
  const agg = createFailureAggregator({
    audit: { write: (e) => void lines.push(e) },
    windowMs,
    maxEntries,
    now: () => t,
  });
  const fail = (client_ip: string, reason: string, id = "r") =>
    agg.report({ type: "auth_failure", client_ip, issuer: "https://idp", reason, error: reason, "request.id": id });
  return { agg, lines, fail, advance: (ms: number) => void (t += ms) };
}

Deno.test("createFailureAggregator() turns 3,000 failures from one address into the first line and one count", () => {
  const { agg, lines, fail, advance } = setup();
  for (let i = 0; i < 3000; i++) fail("198.51.100.7", "bad_signature", `req-${i}`);
  assertEquals(lines.length, 1, "the first one is written at once");
  assertEquals(lines[0]!["request.id"], "req-0");
  advance(59_999);
  agg.flush();
  assertEquals(lines.length, 1, "the window is still open");
  advance(1);
  agg.flush();
  assertEquals(lines[1], {
    type: "auth_failure",
    client_ip: "198.51.100.7",
    issuer: "https://idp",
    reason: "bad_signature",
    count: 2999,
    error: "2999 more refused with this reason from this address within 60 s",
  });
  fail("198.51.100.7", "bad_signature", "later");
  assertEquals([lines.length, lines[2]!["request.id"]], [3, "later"], "a new window starts with a line of its own");
});

Deno.test("createFailureAggregator() keeps addresses and reasons apart, and counts an IPv6 /64 as one address", () => {
  const { agg, lines, fail } = setup();
  fail("198.51.100.7", "expired");
  fail("198.51.100.7", "malformed");
  fail("198.51.100.8", "expired");
  fail("2001:db8:1:2::1", "expired");
  fail("2001:db8:1:2::ffff", "expired");
  assertEquals(lines.map((l) => [l.client_ip, l.reason]), [
    ["198.51.100.7", "expired"],
    ["198.51.100.7", "malformed"],
    ["198.51.100.8", "expired"],
    ["2001:db8:1:2::1", "expired"],
  ]);
  agg.close();
  assertEquals(
    lines.slice(4).map((l) => [l.client_ip, l.count]),
    [["2001:db8:1:2::1", 1]],
    "close writes what is open",
  );
});

Deno.test("createFailureAggregator() writes the oldest window out early when it holds too many", () => {
  const { lines, fail } = setup(60_000, 2);
  for (const ip of ["192.0.2.1", "192.0.2.1", "192.0.2.2", "192.0.2.3"]) fail(ip, "expired");
  assertEquals(lines.map((l) => [l.client_ip, l.count]), [
    ["192.0.2.1", undefined],
    ["192.0.2.2", undefined],
    ["192.0.2.3", undefined],
    ["192.0.2.1", 1],
  ]);
  assertThrows(() => createFailureAggregator({ audit: { write() {} }, windowMs: 0 }), (e) => e instanceof RangeError);
});
