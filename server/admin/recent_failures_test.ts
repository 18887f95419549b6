/** @module Tests for the dashboard's recent failures: repeats folded, a few rows per source, newest first. */

import { assertEquals } from "../../tests/helpers/assert.ts";
import { createRecentFailures } from "./recent_failures.ts";

const at = (i: number) => new Date(Date.UTC(2026, 2, 1, 10, 0, i)).toISOString();

Deno.test("createRecentFailures() folds repeats from one address into one row with the count", () => {
  const recent = createRecentFailures();
  for (let i = 0; i < 3000; i++) {
    recent.add({ timestamp: at(i % 60), type: "auth_failure", client_ip: "203.0.113.9", reason: "bad_signature" });
  }
  recent.add({ timestamp: at(1), type: "auth_failure", client_ip: "203.0.113.9", reason: "bad_signature", count: 500 });
  assertEquals(recent.list().map((r) => [r.client_ip, r.reason, r.count]), [["203.0.113.9", "bad_signature", 3500]]);
});

Deno.test("createRecentFailures() keeps one flooding source to 5 rows, so other failures stay listed", () => {
  const recent = createRecentFailures({ max: 10 });
  recent.add({ timestamp: at(0), type: "rbac_denied", client_ip: "198.51.100.7", subject: "alice" });
  const reasons = ["malformed", "bad_signature", "expired", "unknown_kid", "issuer_mismatch", "audience_mismatch"];
  for (let round = 0; round < 50; round++) {
    for (const reason of reasons) recent.add({ timestamp: at(1), type: "auth_failure", client_ip: "6.6.6.6", reason });
  }
  const rows = recent.list();
  assertEquals(rows.filter((r) => r.client_ip === "6.6.6.6").length, 5);
  assertEquals(rows.at(-1), { timestamp: at(0), type: "rbac_denied", client_ip: "198.51.100.7", subject: "alice" });
  assertEquals(rows[0]!.reason, "audience_mismatch", "newest first");
});
