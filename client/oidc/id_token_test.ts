/** @module Tests for client-side ID token checks against a real IdP's JWKS. */

import { generateKeyPairSync } from "node:crypto";
import { assert, assertEquals, assertMatch, assertRejects } from "../../tests/helpers/assert.ts";
import { startTestIdp } from "../../tests/helpers/idp.ts";
import { fixedClock, systemClock } from "../../shared/clock.ts";
import { isTalosOidcError } from "../../shared/errors.ts";
import { discoverProvider } from "./discovery.ts";
import { createClientIdTokenVerifier } from "./id_token.ts";
import { isIdTokenFresh } from "../token_cache/token.ts";
import { jwtExpiry } from "../../shared/jwt_payload.ts";

async function setup() {
  const idp = await startTestIdp();
  const md = await discoverProvider(idp.issuer);
  const verifier = await createClientIdTokenVerifier({
    issuer: md.issuer,
    clientId: idp.clientId,
    jwksUri: md.jwks_uri,
    clock: systemClock,
  });
  return { idp, verifier };
}

const rejectsWith = (re: RegExp) => (err: unknown) =>
  isTalosOidcError(err, "ERR_INVALID_TOKEN") && re.test(err.message);

Deno.test("verify() accepts a token signed by the IdP with the expected nonce", async () => {
  const { idp, verifier } = await setup();
  await using _ = idp;
  const claims = await verifier.verify(await idp.mint({ nonce: "n-1" }), { nonce: "n-1" });
  assertEquals(claims.sub, "alice");
  const ed = await verifier.verify(await idp.mint({}, { alg: "EdDSA" }));
  assertEquals(ed.iss, idp.issuer);
});

Deno.test("verify() rejects a token whose aud does not match", async () => {
  const { idp, verifier } = await setup();
  await using _ = idp;
  await assertRejects(async () => verifier.verify(await idp.mint({ aud: "someone-else" })), rejectsWith(/"aud"/));
});

Deno.test("verify() rejects a missing or different nonce for a fresh login", async () => {
  const { idp, verifier } = await setup();
  await using _ = idp;
  await assertRejects(async () => verifier.verify(await idp.mint(), { nonce: "n" }), rejectsWith(/nonce.*missing/));
  await assertRejects(
    async () => verifier.verify(await idp.mint({ nonce: "other" }), { nonce: "n" }),
    rejectsWith(/nonce.*does not match/),
  );
});

Deno.test("verify() requires azp to be the client when there are several audiences", async () => {
  const { idp, verifier } = await setup();
  await using _ = idp;
  await assertRejects(async () => verifier.verify(await idp.mint({ aud: [idp.clientId, "x"] })), rejectsWith(/azp/));
  await assertRejects(async () => verifier.verify(await idp.mint({ azp: "x" })), rejectsWith(/azp/));
  const ok = await verifier.verify(await idp.mint({ aud: [idp.clientId, "x"], azp: idp.clientId }));
  assertEquals(ok.sub, "alice");
});

Deno.test("verify() rejects an expired token, a stranger's signature and a changed sub", async () => {
  const { idp, verifier } = await setup();
  await using _ = idp;
  const past = Math.floor(Date.now() / 1000) - 3600;
  await assertRejects(
    async () => verifier.verify(await idp.mint({ iat: past, exp: past + 60 })),
    rejectsWith(/expired/),
  );
  const stranger = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey;
  await assertRejects(async () => verifier.verify(await idp.mint({}, { key: stranger })), rejectsWith(/signature/));
  await assertRejects(async () => verifier.verify(await idp.mint(), { sub: "bob" }), rejectsWith(/sub/));
});

Deno.test("verify() judges expiry by the injected clock", async () => {
  const idp = await startTestIdp();
  await using _ = idp;
  const md = await discoverProvider(idp.issuer);
  const clock = fixedClock(new Date());
  const v = await createClientIdTokenVerifier({
    issuer: md.issuer,
    clientId: idp.clientId,
    jwksUri: md.jwks_uri,
    clock,
  });
  const token = await idp.mint();
  await v.verify(token);
  clock.advance(10 * 60_000);
  const err = await assertRejects(() => v.verify(token));
  assert(isTalosOidcError(err));
  assertMatch(err.message, /expired/);
  assert(!err.message.includes(token));
});

Deno.test("isIdTokenFresh() reads exp and keeps a skew margin", async () => {
  const idp = await startTestIdp();
  await using _ = idp;
  const now = Math.floor(Date.now() / 1000);
  const token = await idp.mint({ exp: now + 100 });
  assertEquals(jwtExpiry(token)?.getTime(), (now + 100) * 1000);
  assert(isIdTokenFresh(token, new Date(now * 1000)));
  assert(!isIdTokenFresh(token, new Date((now + 80) * 1000)));
  assert(!isIdTokenFresh("not-a-jwt", new Date()));
});
