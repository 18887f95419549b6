/** @module Tests for the per-IP and per-subject rate limits and the allowlist, through app.request(). */

import { Hono } from "hono";
import { jsonLogger } from "../../shared/log.ts";
import { onError } from "../errors_http.ts";
import { assert, assertEquals, assertThrows } from "../../tests/helpers/assert.ts";
import type { AuditEvent } from "../audit/types.ts";
import { clientIp } from "./client_ip.ts";
import { ipAllowlist } from "./ip_allowlist.ts";
import { rateLimit, type RateLimitEnv, subjectRateLimit } from "./rate_limit.ts";
import { createMemoryStore } from "../state/memory_store.ts";

function setup(o: { allow?: string[]; requests?: number; perSubject?: number } = {}) {
  let t = 1_700_000_000_000;
  const events: AuditEvent[] = [];
  const audit = { write: (e: AuditEvent) => void events.push(e) };
  const counts = { ip: 0, subject: 0, denied: 0 };
  const metrics = { rateLimited: (s: "ip" | "subject") => void counts[s]++, ipDenied: () => void counts.denied++ };
  const now = () => t;
  const app = new Hono<RateLimitEnv>().onError(onError(jsonLogger({ write: () => {} })));
  const rateLimit_ = { requests: o.requests ?? 0, windowMs: 60_000, perSubject: o.perSubject ?? 0 };
  const store = createMemoryStore({ rateLimit: rateLimit_, now });
  const subjects = subjectRateLimit({ limiter: store.limiter("subject"), audit, metrics });
  app.use(clientIp({ trustedProxies: ["10.0.0.1"] }));
  app.use("/exchange", ipAllowlist({ allow: o.allow ?? [], audit, metrics, now }));
  app.use("/exchange", rateLimit({ limiter: store.limiter("ip"), audit, metrics }));
  app.post(
    "/exchange",
    async (c) => (await subjects.check(c, c.req.header("x-sub") ?? "alice", "https://idp"), c.text("ok")),
  );
  app.get("/healthz", (c) => c.text("ok"));
  const send = (ip: string, init: { path?: string; sub?: string } = {}) =>
    app.request(init.path ?? "/exchange", {
      method: init.path ? "GET" : "POST",
      headers: { "x-forwarded-for": ip, ...(init.sub ? { "x-sub": init.sub } : {}) },
    }, { remoteAddr: { hostname: "10.0.0.1", port: 1, transport: "tcp" } });
  return { send, events, counts, advance: (ms: number) => void (t += ms) };
}

Deno.test("rateLimit() answers 429 with Retry-After counting down to the next free slot", async () => {
  const s = setup({ requests: 2 });
  assertEquals((await s.send("198.51.100.1")).status, 200);
  s.advance(20_000);
  assertEquals((await s.send("198.51.100.1")).status, 200);
  s.advance(10_250);
  const res = await s.send("198.51.100.1");
  assertEquals(res.status, 429);
  assertEquals(res.headers.get("retry-after"), "30");
  assertEquals(await res.json(), { error: "rate limit exceeded", code: "ERR_RATE_LIMITED" });
  s.advance(29_749);
  assertEquals((await s.send("198.51.100.1")).headers.get("retry-after"), "1");
  s.advance(1);
  assertEquals((await s.send("198.51.100.1")).status, 200);
  assertEquals((await s.send("198.51.100.2")).status, 200);
});

Deno.test("rateLimit() audits one rate_limited event per client per window but counts every refusal", async () => {
  const s = setup({ requests: 1 });
  for (let i = 0; i < 5; i++) await s.send("198.51.100.1");
  assertEquals(s.events, [{ type: "rate_limited", reason: "per-IP limit", client_ip: "198.51.100.1" }]);
  assertEquals(s.counts.ip, 4);
});

Deno.test("rateLimit() with 0 requests lets everything through", async () => {
  const s = setup({ requests: 0 });
  for (let i = 0; i < 20; i++) assertEquals((await s.send("198.51.100.1")).status, 200);
});

Deno.test("ipAllowlist() refuses other addresses with 403 before they use up rate-limit slots", async () => {
  const s = setup({ allow: ["198.51.100.0/24", "2001:db8::/32"], requests: 1 });
  for (let i = 0; i < 3; i++) {
    const res = await s.send("203.0.113.5");
    assertEquals(res.status, 403);
    assertEquals(await res.json(), { error: "IP not allowed", code: "ERR_FORBIDDEN" });
  }
  assertEquals((await s.send("198.51.100.9")).status, 200);
  assertEquals((await s.send("2001:db8::1")).status, 200);
  assertEquals(s.counts, { ip: 0, subject: 0, denied: 3 });
  assertEquals(s.events, [{ type: "ip_denied", client_ip: "203.0.113.5", reason: "client IP not in ip_allowlist" }]);
});

Deno.test("ipAllowlist() only guards the routes it is mounted on", async () => {
  const s = setup({ allow: ["198.51.100.0/24"] });
  assertEquals((await s.send("203.0.113.5", { path: "/healthz" })).status, 200);
});

Deno.test("subjectRateLimit() limits one subject across client addresses", async () => {
  const s = setup({ perSubject: 2 });
  assertEquals((await s.send("198.51.100.1")).status, 200);
  assertEquals((await s.send("198.51.100.2")).status, 200);
  const res = await s.send("198.51.100.3");
  assertEquals(res.status, 429);
  assertEquals(res.headers.get("retry-after"), "60");
  assertEquals((await s.send("198.51.100.3", { sub: "bob" })).status, 200);
  assertEquals(s.events, [{
    type: "rate_limited",
    reason: "per-subject limit",
    subject: "alice",
    issuer: "https://idp",
    client_ip: "198.51.100.3",
  }]);
  assert(s.counts.subject === 1);
});

Deno.test("the limiters and ipAllowlist() refuse bad options when built", () => {
  const store = (requests: number, windowMs: number) =>
    createMemoryStore({ rateLimit: { requests, windowMs, perSubject: 0 }, now: Date.now });
  assertThrows(() => store(-1, 1000), (e) => e instanceof RangeError);
  assertThrows(() => store(5, 0), (e) => e instanceof RangeError);
  assertThrows(() => ipAllowlist({ allow: ["10.0.0.0/8", "bogus"] }), (e) => e instanceof RangeError);
});

Deno.test("rateLimit() counts IPv6 clients by /64 so rotating addresses does not help", async () => {
  const s = setup({ requests: 2 });
  assertEquals((await s.send("2001:db8:1:2::1")).status, 200);
  assertEquals((await s.send("2001:db8:1:2::2")).status, 200);
  assertEquals((await s.send("2001:db8:1:2:ffff::3")).status, 429);
  assertEquals((await s.send("2001:db8:1:3::1")).status, 200);
});
