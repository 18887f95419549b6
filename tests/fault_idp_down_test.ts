/** @module Fault: the IdP goes away under a live server (real oidc-provider, real TLS) and comes back. */

import { fixedClock } from "../shared/clock.ts";
import { assertEquals, assertMatch } from "./helpers/assert.ts";
import { startTestIdp } from "./helpers/idp.ts";
import { startTestServer } from "./helpers/server.ts";

Deno.test("IdP down: known kids keep working, an unknown kid is 503 ERR_DISCOVERY with Retry-After, readyz degrades and recovers", async () => {
  await using idp = await startTestIdp();
  const clock = fixedClock(new Date());
  await using server = await startTestServer({ idp, clock });
  await server.server.deps.verifier.warmUp();
  const iat = Math.floor(clock.now().getTime() / 1000);
  const known = await idp.mint({ iat, exp: iat + 3600 });
  const newKid = await idp.mint({ iat, exp: iat + 3600 }, { kid: "published-during-the-outage" });
  const ready = async () => {
    const res = await fetch(`${server.url}/readyz`, { client: server.client });
    return { status: res.status, json: await res.json() };
  };
  assertEquals((await ready()).json.status, "ready");

  await idp.down("refuse");
  clock.advance(31_000);
  const unknown = await server.exchange({ id_token: newKid });
  assertEquals([unknown.status, unknown.json.code, unknown.json.error], [
    503,
    "ERR_DISCOVERY",
    "identity provider unavailable",
  ]);
  assertEquals(unknown.headers.get("retry-after"), "30");
  assertEquals((await server.exchange({ id_token: known })).status, 200);
  const degraded = await ready();
  assertEquals([degraded.status, degraded.json.status, degraded.json.checks.oidc], [200, "degraded", true]);
  assertMatch(degraded.json.details.oidc, /^the issuer is unreachable since .*; serving with the keys fetched at /);

  await idp.up();
  clock.advance(31_000);
  assertEquals((await server.exchange({ id_token: newKid })).json.code, "ERR_INVALID_TOKEN", "a verdict again: 401");
  assertEquals((await ready()).json, { status: "ready", checks: { ca: true, oidc: true, audit: true } });
  const failures = server.audit.filter((e) => e.type === "auth_failure").map((e) => e.reason);
  assertEquals(failures, ["jwks_unavailable", "unknown_kid"]);
});
