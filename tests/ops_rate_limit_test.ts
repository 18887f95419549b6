/** @module Over real TLS: per-IP and per-subject rate limits with an injected clock (Retry-After counts down). */

import { fixedClock } from "../shared/clock.ts";
import { assertEquals } from "./helpers/assert.ts";
import { startTestIdp } from "./helpers/idp.ts";
import { startTestServer, type TestServer } from "./helpers/server.ts";

async function post(server: TestServer, token: string, xff?: string) {
  const res = await fetch(`${server.url}/exchange`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(xff ? { "x-forwarded-for": xff } : {}) },
    body: JSON.stringify({ id_token: token }),
    client: server.client,
  });
  const body = await res.json();
  return { status: res.status, retryAfter: res.headers.get("retry-after"), body };
}

Deno.test("the per-IP limit answers 429 with Retry-After counting down to when the oldest request leaves", async () => {
  await using idp = await startTestIdp();
  const clock = fixedClock(new Date());
  await using server = await startTestServer({
    idp,
    clock,
    config: { rate_limit_requests: 3, rate_limit_window: "1m", trusted_proxies: ["127.0.0.1"] },
  });
  assertEquals((await post(server, "not-a-token", "198.51.100.1")).status, 401);
  clock.advance(10_000);
  await post(server, "x", "198.51.100.1");
  await post(server, "x", "198.51.100.1");
  clock.advance(20_400);
  const limited = await post(server, "x", "198.51.100.1");
  assertEquals(limited, {
    status: 429,
    retryAfter: "30",
    body: { error: "rate limit exceeded", code: "ERR_RATE_LIMITED" },
  });
  assertEquals((await post(server, "x", "198.51.100.2")).status, 401, "another client is not limited");
  clock.advance(29_599);
  assertEquals((await post(server, "x", "198.51.100.1")).retryAfter, "1");
  clock.advance(1);
  assertEquals((await post(server, "x", "198.51.100.1")).status, 401);
  const events = server.audit.filter((e) => e.type === "rate_limited");
  assertEquals(events.map((e) => e.client_ip), ["198.51.100.1"], "one audit event per client per window");
});

Deno.test("addresses refused by the allowlist never use up rate-limit slots", async () => {
  await using idp = await startTestIdp();
  await using server = await startTestServer({
    idp,
    config: { rate_limit_requests: 1, trusted_proxies: ["127.0.0.1"], ip_allowlist: ["198.51.100.0/24"] },
  });
  for (let i = 0; i < 3; i++) assertEquals((await post(server, "x", "203.0.113.1")).status, 403);
  assertEquals(server.audit.filter((e) => e.type === "rate_limited").length, 0);
});

Deno.test("the per-subject limit counts verified tokens across client addresses", async () => {
  await using idp = await startTestIdp();
  await using server = await startTestServer({
    idp,
    config: { rate_limit_per_subject: 2, trusted_proxies: ["127.0.0.1"] },
  });
  const alice = await idp.mint({ email: "alice@example.com", email_verified: true });
  assertEquals((await post(server, alice, "198.51.100.1")).status, 200);
  assertEquals((await post(server, alice, "198.51.100.2")).status, 200);
  const third = await post(server, alice, "198.51.100.3");
  assertEquals([third.status, third.retryAfter], [429, "60"]);
  assertEquals((await post(server, await idp.mint({ sub: "bob" }), "198.51.100.3")).status, 200);
  const limited = server.audit.filter((e) => e.type === "rate_limited");
  assertEquals(limited.map((e) => [e.subject, e.client_ip, e.reason]), [[
    "alice",
    "198.51.100.3",
    "per-subject limit",
  ]]);
});
