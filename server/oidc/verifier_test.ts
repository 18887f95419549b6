/** @module Tests of createIdTokenVerifier against a real OpenID Provider: keys, discovery, caching, rotation. */

import { fixedClock } from "../../shared/clock.ts";
import { isTalosOidcError } from "../../shared/errors.ts";
import type { Logger } from "../../shared/log.ts";
import { assert, assertEquals, assertRejects, assertThrows } from "../../tests/helpers/assert.ts";
import { startTestIdp } from "../../tests/helpers/idp.ts";
import { invalidTokenReason } from "./invalid.ts";
import { createIdTokenVerifier } from "./verifier.ts";
import type { InvalidTokenReason } from "./types.ts";

const refusedFor = (reason: InvalidTokenReason) => (err: unknown) => invalidTokenReason(err) === reason;

function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const put = (level: string) => (msg: string) => void lines.push(`${level}: ${msg}`);
  return { lines, debug: put("debug"), info: put("info"), warn: put("warn"), error: put("error") };
}

Deno.test("verify() accepts RS256, PS256, ES256 and EdDSA ID tokens signed by the IdP", async () => {
  await using idp = await startTestIdp();
  const verifier = createIdTokenVerifier({ issuer: idp.issuer, clientId: idp.clientId });
  for (const alg of ["RS256", "PS256", "ES256", "EdDSA"] as const) {
    const token = await idp.mint({ email: "alice@example.com", groups: ["talos-admins"] }, { alg });
    const verified = await verifier.verify(token);
    assertEquals(verified.alg, alg);
    assertEquals(verified.kid, idp.keys[alg].kid);
    assertEquals(verified.claims.sub, "alice");
    assertEquals(verified.claims.groups, ["talos-admins"]);
  }
});

Deno.test("ready() turns true only after warmUp() fetched the JWKS", async () => {
  await using idp = await startTestIdp();
  const verifier = createIdTokenVerifier({ issuer: idp.issuer, clientId: idp.clientId });
  assertEquals(verifier.ready(), false);
  assertEquals(await verifier.warmUp(), true);
  assertEquals(verifier.ready(), true);
});

Deno.test("verify() refuses every token when discovery names a different issuer", async () => {
  await using idp = await startTestIdp({ issuerPath: "/tenant/a" });
  const logger = recordingLogger();
  // The document at <prefix>/tenant/a/.well-known/... names ".../tenant/a", not the prefix the verifier was given.
  const configured = idp.issuer.replace("/tenant/a", "/tenant");
  const verifier = createIdTokenVerifier({ issuer: configured, clientId: idp.clientId, logger });
  assertEquals(await verifier.warmUp(), false);
  assertEquals(verifier.ready(), false);
  await assertRejects(
    async () => verifier.verify(await idp.mint({ iss: configured })),
    refusedFor("jwks_unavailable"),
  );
  assert(logger.lines.some((l) => l.startsWith("error: fetching the issuer JWKS failed")));
});

Deno.test("verify() holds tokens to the issuer the discovery document states, even on its very first call", async () => {
  await using idp = await startTestIdp({ issuerPath: "/application/o/talosctl/" });
  const bare = idp.issuer.slice(0, -1);
  for (const configured of [bare, idp.issuer]) {
    const verifier = createIdTokenVerifier({ issuer: configured, clientId: idp.clientId });
    // Signed by the IdP's key, but spelled without the slash its document states: refused before and after warm-up.
    await assertRejects(async () => verifier.verify(await idp.mint({ iss: bare })), refusedFor("issuer_mismatch"));
    assertEquals((await verifier.verify(await idp.mint())).claims.iss, idp.issuer);
    await assertRejects(async () => verifier.verify(await idp.mint({ iss: bare })), refusedFor("issuer_mismatch"));
  }
});

Deno.test("verify() fetches the JWKS once for many verifications", async () => {
  await using idp = await startTestIdp();
  const verifier = createIdTokenVerifier({ issuer: idp.issuer, clientId: idp.clientId });
  const token = await idp.mint();
  await Promise.all(Array.from({ length: 25 }, () => verifier.verify(token)));
  for (let i = 0; i < 25; i++) await verifier.verify(token);
  assertEquals(idp.hits.get("/jwks"), 1);
  assertEquals(idp.hits.get("/.well-known/openid-configuration"), 1);
});

Deno.test("an unknown kid triggers one shared refresh per cool-down even from 50 concurrent tokens", async () => {
  await using idp = await startTestIdp();
  const clock = fixedClock(new Date());
  const verifier = createIdTokenVerifier({ issuer: idp.issuer, clientId: idp.clientId, now: clock.now });
  assert(await verifier.warmUp());
  clock.advance(31_000);
  const iat = Math.floor(clock.now().getTime() / 1000);
  const forged = await Promise.all(
    Array.from({ length: 50 }, (_, i) => idp.mint({ iat, exp: iat + 300 }, { kid: `unknown-${i}` })),
  );
  const results = await Promise.allSettled(forged.map((t) => verifier.verify(t)));
  assert(results.every((r) => r.status === "rejected" && invalidTokenReason(r.reason) === "unknown_kid"));
  assertEquals(idp.hits.get("/jwks"), 2);
  // Still inside the cool-down: more unknown kids are refused without asking the IdP again.
  clock.advance(10_000);
  await Promise.allSettled(forged.map((t) => verifier.verify(t)));
  assertEquals(idp.hits.get("/jwks"), 2);
});

Deno.test("verify() picks up a rotated key once the cool-down has passed", async () => {
  const first = await startTestIdp();
  const port = Number(new URL(first.issuer).port);
  const clock = fixedClock(new Date());
  const mintAt = (idp: typeof first) => {
    const iat = Math.floor(clock.now().getTime() / 1000);
    return idp.mint({ iat, exp: iat + 600 });
  };
  const verifier = createIdTokenVerifier({ issuer: first.issuer, clientId: first.clientId, now: clock.now });
  const oldToken = await mintAt(first);
  await verifier.verify(oldToken);
  await first.close();
  // The IdP comes back on the same issuer URL with brand-new keys.
  await using second = await startTestIdp({ port });
  clock.advance(31_000);
  const newToken = await mintAt(second);
  assertEquals((await verifier.verify(newToken)).kid, second.keys.RS256.kid);
  await assertRejects(() => verifier.verify(oldToken), refusedFor("unknown_kid"));
});

Deno.test("verify() keeps serving the cached JWKS when a periodic refresh fails, and says so", async () => {
  const idp = await startTestIdp();
  const clock = fixedClock(new Date());
  const logger = recordingLogger();
  const verifier = createIdTokenVerifier({
    issuer: idp.issuer,
    clientId: idp.clientId,
    now: clock.now,
    logger,
    jwksMaxAgeMs: 60_000,
  });
  const iat = Math.floor(clock.now().getTime() / 1000);
  const token = await idp.mint({ iat, exp: iat + 3600 });
  await verifier.verify(token);
  await idp.close();
  clock.advance(61_000);
  assertEquals((await verifier.verify(token)).claims.sub, "alice");
  assertEquals(await verifier.warmUp(), false); // joins the refresh that request started in the background
  assert(logger.lines.some((l) => l.startsWith("warn: refreshing the issuer JWKS failed")));
});

Deno.test("verify() refetches the JWKS after jwksMaxAgeMs", async () => {
  await using idp = await startTestIdp();
  const clock = fixedClock(new Date());
  const verifier = createIdTokenVerifier({ issuer: idp.issuer, clientId: idp.clientId, now: clock.now });
  const iat = Math.floor(clock.now().getTime() / 1000);
  const token = await idp.mint({ iat, exp: iat + 3600 });
  await verifier.verify(token);
  clock.advance(299_000);
  await verifier.verify(token);
  assertEquals(idp.hits.get("/jwks"), 1);
  clock.advance(2_000);
  await verifier.verify(token);
  assert(await verifier.warmUp()); // joins the refresh that request started in the background
  assertEquals(idp.hits.get("/jwks"), 2);
});

Deno.test("verify() reports jwks_unavailable when the IdP cannot be reached", async () => {
  const idp = await startTestIdp();
  const token = await idp.mint();
  await idp.close();
  const verifier = createIdTokenVerifier({ issuer: idp.issuer, clientId: idp.clientId });
  assertEquals(await verifier.warmUp(), false);
  await assertRejects(() => verifier.verify(token), refusedFor("jwks_unavailable"));
});

Deno.test("verify() judges time by the injected clock", async () => {
  await using idp = await startTestIdp();
  const past = new Date("2030-01-01T00:00:00Z");
  const iat = past.getTime() / 1000;
  const token = await idp.mint({ iat, exp: iat + 300 });
  const atIssue = createIdTokenVerifier({ issuer: idp.issuer, clientId: idp.clientId, now: () => past });
  assertEquals((await atIssue.verify(token)).claims.exp, iat + 300);
  const later = new Date(past.getTime() + 361_000);
  const afterExpiry = createIdTokenVerifier({ issuer: idp.issuer, clientId: idp.clientId, now: () => later });
  await assertRejects(() => afterExpiry.verify(token), refusedFor("expired"));
});

Deno.test("createIdTokenVerifier() refuses plain http issuers that are not loopback", () => {
  for (const issuer of ["http://idp.example.com", "http://10.0.0.1:8080", "http://127.0.0.1.nip.io", "ftp://x"]) {
    assertThrows(() => createIdTokenVerifier({ issuer, clientId: "c" }), (e) => isTalosOidcError(e, "ERR_CONFIG"));
  }
  for (
    const issuer of ["https://idp.example.com/realms/x", "http://127.0.0.1:1", "http://localhost:2", "http://[::1]"]
  ) {
    createIdTokenVerifier({ issuer, clientId: "c" });
  }
});

Deno.test("createIdTokenVerifier() refuses HS*, none, an out-of-range leeway and an empty client id", () => {
  const issuer = "https://idp.example.com";
  for (const algorithms of [["HS256"], ["RS256", "none"], [], ["RS1"]]) {
    assertThrows(
      () => createIdTokenVerifier({ issuer, clientId: "c", algorithms }),
      (e) => isTalosOidcError(e, "ERR_CONFIG"),
    );
  }
  for (const clockToleranceSec of [-1, 61, Number.NaN]) {
    assertThrows(
      () => createIdTokenVerifier({ issuer, clientId: "c", clockToleranceSec }),
      (e) => e instanceof RangeError,
    );
  }
  assertThrows(() => createIdTokenVerifier({ issuer, clientId: "" }), (e) => isTalosOidcError(e, "ERR_CONFIG"));
});

Deno.test("verify() refuses an algorithm left out of a narrowed allowlist", async () => {
  await using idp = await startTestIdp();
  const verifier = createIdTokenVerifier({ issuer: idp.issuer, clientId: idp.clientId, algorithms: ["EdDSA"] });
  await verifier.verify(await idp.mint({}, { alg: "EdDSA" }));
  await assertRejects(async () => verifier.verify(await idp.mint()), refusedFor("alg_not_allowed"));
});
