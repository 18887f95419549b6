/** @module Tests for the admin tracker and the persistent certificate history. */

import { assert, assertEquals } from "../../tests/helpers/assert.ts";
import type { AuditEvent } from "../audit/types.ts";
import { openCertStore } from "./cert_store.ts";
import { createTracker } from "./tracker.ts";

const T0 = Date.parse("2026-03-01T10:00:00Z");

function issued(sub: string, at: number, ttlMs: number, roles = ["os:reader"]): AuditEvent & { timestamp: string } {
  return {
    type: "cert_issued",
    timestamp: new Date(at).toISOString(),
    subject: sub,
    email: `${sub}@example.com`,
    client_ip: "198.51.100.7",
    roles,
    cert_ttl: "5m0s",
    cert_expiry: new Date(at + ttlMs).toISOString(),
    cert_fingerprint: "ab".repeat(32),
    cert_serial: "01f3",
  };
}

Deno.test("createTracker() counts events with the original stats names and the additions", () => {
  let t = T0;
  const tr = createTracker({ now: () => new Date(t) });
  const ev = (type: AuditEvent["type"], extra: Partial<AuditEvent> = {}) =>
    tr.observe({ type, timestamp: new Date(t).toISOString(), ...extra });
  ev("auth_success");
  tr.observe(issued("alice", t, 300_000, ["os:admin", "os:reader"]));
  ev("auth_success");
  tr.observe(issued("alice", t, 60_000));
  ev("auth_failure", { reason: "expired", client_ip: "203.0.113.1", error: "token expired" });
  ev("rbac_denied", { subject: "mallory" });
  ev("cert_error");
  ev("rate_limited");
  ev("ip_denied");
  t += 90_500;
  const s = tr.stats();
  assertEquals(s.started_at, "2026-03-01T10:00:00.000Z");
  assertEquals(s.uptime, "1m31s");
  assertEquals([s.total_certs_issued, s.active_certs, s.total_auth_successes, s.total_auth_failures], [2, 1, 2, 1]);
  assertEquals([s.total_cert_errors, s.unique_users, s.total_rbac_denials, s.total_rate_limited], [1, 1, 1, 1]);
  assertEquals(s.total_ip_denied, 1);
  assertEquals(s.certs_by_role, { "os:admin": 1, "os:reader": 2 });
  assertEquals(s.recent_failures.map((f) => f.type), ["cert_error", "rbac_denied", "auth_failure"]);
  assertEquals(s.recent_failures[2], {
    timestamp: "2026-03-01T10:00:00.000Z",
    type: "auth_failure",
    client_ip: "203.0.113.1",
    reason: "expired",
    error: "token expired",
  });
});

Deno.test("createTracker() lists active certificates by default and the history with all", () => {
  let t = T0;
  const tr = createTracker({ now: () => new Date(t) });
  tr.observe(issued("alice", T0, 60_000));
  tr.observe(issued("bob", T0 + 1000, 600_000));
  t += 120_000;
  assertEquals(tr.certs().map((c) => c.subject), ["bob"]);
  assertEquals(tr.certs({ all: true }).map((c) => c.subject), ["bob", "alice"]);
  assertEquals(Object.keys(tr.certs()[0]!), [
    "subject",
    "email",
    "issued_at",
    "expires_at",
    "client_ip",
    "roles",
    "ttl",
    "fingerprint",
    "serial",
  ]);
});

Deno.test("createTracker() buckets issuances for the chart", () => {
  const tr = createTracker({ now: () => new Date(T0 + 3 * 3_600_000) });
  tr.observe(issued("a", T0 + 10, 1));
  tr.observe(issued("b", T0 + 2 * 3_600_000 + 5, 1));
  tr.observe(issued("c", T0 + 2 * 3_600_000 + 6, 1));
  assertEquals(tr.issuanceSeries(3_600_000, 4).map((b) => b.count), [0, 1, 0, 2]);
});

Deno.test("openCertStore() persists records 0600 and reloads them, bounded, after a restart", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/data/certs.jsonl`;
    const store = await openCertStore({ path, maxRecords: 3 });
    const tr = createTracker({ now: () => new Date(T0), onRecord: store.append });
    for (let i = 0; i < 8; i++) tr.observe(issued(`u${i}`, T0 + i, 600_000));
    store.close();
    assertEquals((await Deno.stat(path)).mode! & 0o777, 0o600);
    await Deno.writeTextFile(path, "not json\n", { append: true });

    const again = await openCertStore({ path, maxRecords: 3 });
    assertEquals(again.loaded.map((r) => r.subject), ["u5", "u6", "u7"]);
    again.close();
    const lines = (await Deno.readTextFile(path)).split("\n").filter(Boolean);
    assertEquals(lines.length, 3, "compacted because it held more than twice maxRecords");
    assertEquals((await Deno.stat(path)).mode! & 0o777, 0o600);
    const restored = createTracker({ now: () => new Date(T0), history: again.loaded });
    assertEquals(restored.certs().length, 3);
    assert(restored.certs()[0]!.serial === "01f3");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("openCertStore() cuts a torn last record, so the next one is not appended to it", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/certs.jsonl`;
    const store = await openCertStore({ path });
    const tr = createTracker({ now: () => new Date(T0), onRecord: store.append });
    for (const u of ["a", "b"]) tr.observe(issued(u, T0, 600_000));
    store.close();
    await Deno.writeTextFile(path, '{"subject":"c","email":"c@exa', { append: true }); // killed mid-write

    const again = await openCertStore({ path });
    createTracker({ now: () => new Date(T0), onRecord: again.append }).observe(issued("d", T0, 600_000));
    again.close();
    const third = await openCertStore({ path });
    third.close();
    assertEquals(third.loaded.map((r) => r.subject), ["a", "b", "d"]);
    for (const line of (await Deno.readTextFile(path)).split("\n").filter(Boolean)) JSON.parse(line);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
