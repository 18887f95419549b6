/** @module Forged and invalid ID tokens, each refused for the right reason, and what jose alone says about each. */

import * as jose from "jose";
import { createIdTokenVerifier } from "../server/oidc/verifier.ts";
import { invalidTokenReason } from "../server/oidc/invalid.ts";
import { forgeJws } from "./helpers/jws_forge.ts";
import { joseOutcome } from "./helpers/jws_reference.ts";
import { DEFAULT_ALGORITHMS } from "../server/oidc/algorithms.ts";
import { assert, assertEquals } from "./helpers/assert.ts";
import { generateSigningKey, startTestIdp } from "./helpers/idp.ts";
import { type Ctx, ROWS } from "./forged_tokens_rows.ts";

Deno.test("verify() refuses each forged or invalid token for its documented reason, and jose agrees where it has a rule", async () => {
  await using idp = await startTestIdp();
  await using other = await startTestIdp();
  const now = Math.floor(Date.now() / 1000);
  const claims = { iss: idp.issuer, aud: idp.clientId, sub: "alice", iat: now, exp: now + 300 };
  const ctx: Ctx = {
    idp,
    other,
    now,
    claims,
    withIdpKey: (header, c = claims, signAs?: string) =>
      forgeJws({ alg: "RS256", kid: idp.keys.RS256.kid, ...header }, c, idp.keys.RS256.privateKey, signAs),
    stranger: { RS256: generateSigningKey("RS256").privateKey, ES256: generateSigningKey("ES256").privateKey },
  };
  const verifier = createIdTokenVerifier({ issuer: idp.issuer, clientId: idp.clientId });
  const keys = jose.createLocalJWKSet(await (await fetch(`${idp.issuer}/jwks`)).json());
  const refOptions = {
    issuer: idp.issuer,
    clientId: idp.clientId,
    now: new Date(now * 1000),
    toleranceSec: 60,
    algorithms: [...DEFAULT_ALGORITHMS],
  };
  await verifier.verify(await idp.mint()); // the baseline is accepted
  // ID tokens as IdPs send them are accepted: Keycloak's payload typ "ID", header typ spellings, a 24 h lifetime.
  await verifier.verify(await idp.mint({ typ: "ID" }, { header: { typ: "jwt " } }));
  await verifier.verify(await idp.mint({ typ: "id" }, { header: { typ: "application/JWT" } }));
  await verifier.verify(await idp.mint({ iat: now - 60, exp: now - 60 + 86400 }, { header: { typ: undefined } }));
  const wrong: string[] = [];
  for (const row of ROWS) {
    const token = await row.token(ctx);
    const ours = await verifier.verify(token).then(() => "accepts", (err) => {
      const detail = String((err as { fields?: { detail?: unknown } }).fields?.detail);
      assert(!detail.includes(token.split(".")[2] || token), `${row.name}: the detail quotes the token`);
      return invalidTokenReason(err) ?? `unexpected ${err}`;
    });
    const theirs = await joseOutcome(token, keys, refOptions);
    const joseSays = theirs.ok ? "accepts" : theirs.reason;
    if (ours !== row.reason || joseSays !== row.jose) {
      wrong.push(`${row.name}: ours ${ours} (want ${row.reason}), jose ${joseSays} (want ${row.jose})`);
    }
  }
  assertEquals(wrong, []);
});
