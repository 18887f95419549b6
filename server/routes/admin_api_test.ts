/** @module Tests for the admin JSON API through app.request(). */

import { Hono } from "hono";
import { jsonLogger } from "../../shared/log.ts";
import { onError } from "../errors_http.ts";
import { assert, assertEquals } from "../../tests/helpers/assert.ts";
import { Secret } from "../../shared/secret.ts";
import { createLockout } from "../admin/lockout.ts";
import { createTracker } from "../admin/tracker.ts";
import type { AuditEvent } from "../audit/types.ts";
import { clientIp } from "../middleware/client_ip.ts";
import { adminApiRoutes } from "./admin_api.ts";

const T0 = Date.parse("2026-03-01T10:00:00Z");

function setup() {
  let t = T0;
  const tracker = createTracker({ now: () => new Date(t) });
  for (const [sub, ttl] of [["alice", 60_000], ["bob", 600_000]] as const) {
    tracker.observe({
      type: "cert_issued",
      timestamp: new Date(t).toISOString(),
      subject: sub,
      roles: ["os:reader"],
      cert_expiry: new Date(t + ttl).toISOString(),
      cert_serial: "0a",
    });
  }
  const events: AuditEvent[] = [];
  const app = new Hono().onError(onError(jsonLogger({ write: () => {} })));
  app.use(clientIp({ peer: (c) => c.req.header("x-test-peer") ?? "198.51.100.7" }));
  app.route(
    "/admin",
    adminApiRoutes({
      token: new Secret("s3cret-admin"),
      tracker,
      auditHead: () => "ab".repeat(32),
      lockout: createLockout({ now: () => t }),
      audit: { write: (e) => void events.push(e), committed: () => Promise.resolve() },
    }),
  );
  const get = (path: string, auth?: string, peer?: string) =>
    app.request(path, {
      headers: { ...(auth === undefined ? {} : { authorization: auth }), ...(peer ? { "x-test-peer": peer } : {}) },
    });
  return { get, app, events, advance: (ms: number) => void (t += ms) };
}

Deno.test("admin API answers 401 without Authorization and 403 for a wrong token", async () => {
  const { get } = setup();
  const missing = await get("/admin/stats");
  assertEquals(missing.status, 401);
  assertEquals((await missing.json()).error, "missing Authorization header");
  assert(missing.headers.get("www-authenticate")?.startsWith("Bearer"));
  assertEquals((await get("/admin/stats", "Basic czNjcmV0")).status, 401);
  assertEquals((await get("/admin/certs", "Bearer s3cret-admin2")).status, 403);
  assertEquals((await get("/admin/certs", "Bearer s3cret-admi")).status, 403);
});

Deno.test("admin API stats keep the original names and add the audit head", async () => {
  const { get } = setup();
  const res = await get("/admin/stats", "Bearer s3cret-admin");
  assertEquals(res.status, 200);
  const s = await res.json();
  for (const k of ["started_at", "uptime", "total_certs_issued", "active_certs", "total_auth_successes"]) {
    assert(k in s, k);
  }
  for (const k of ["total_auth_failures", "total_cert_errors", "unique_users", "certs_by_role", "recent_failures"]) {
    assert(k in s, k);
  }
  assertEquals([s.total_certs_issued, s.active_certs, s.unique_users], [2, 2, 2]);
  assertEquals(s.audit_head, "ab".repeat(32));
});

Deno.test("admin API certs lists active certificates, and the history with ?all=1", async () => {
  const { get, advance } = setup();
  advance(120_000);
  const active = await (await get("/admin/certs", "Bearer s3cret-admin")).json();
  assertEquals(active.map((r: { subject: string }) => r.subject), ["bob"]);
  const all = await (await get("/admin/certs?all=1", "Bearer s3cret-admin")).json();
  assertEquals(all.map((r: { subject: string }) => r.subject), ["bob", "alice"]);
  assertEquals(all[0].serial, "0a");
});

Deno.test("admin API refuses other methods with 405", async () => {
  const { app } = setup();
  const res = await app.request("/admin/stats", { method: "POST", headers: { authorization: "Bearer s3cret-admin" } });
  assertEquals(res.status, 405);
});

Deno.test("admin API locks an address out after 5 wrong tokens and audits each as admin_auth_failure", async () => {
  const { get, events, advance } = setup();
  for (let i = 0; i < 5; i++) assertEquals((await get("/admin/certs", "Bearer wrong")).status, 403);
  const locked = await get("/admin/stats", "Bearer s3cret-admin");
  assertEquals([locked.status, locked.headers.get("retry-after"), (await locked.json()).code], [
    429,
    "1",
    "ERR_RATE_LIMITED",
  ]);
  assertEquals(
    (await get("/admin/stats", "Bearer wrong", "203.0.113.50")).status,
    403,
    "other addresses are not locked",
  );
  assertEquals(events.map((e) => [e.type, e.client_ip, e.reason]), [
    ...Array.from({ length: 5 }, () => ["admin_auth_failure", "198.51.100.7", "wrong admin token"]),
    ["admin_auth_failure", "203.0.113.50", "wrong admin token"],
  ]);
  assertEquals(events[4]!.error, "address locked out for 1 s");
  advance(1000);
  assertEquals((await get("/admin/stats", "Bearer s3cret-admin")).status, 200);
});
