/**
 * @module The client's ID token check and the server's verifier agree where the client's module doc says they must:
 * the same algorithms and the same clock leeway, so the client never refuses what the server takes, nor sends what
 * it refuses.
 */

import { createClientIdTokenVerifier } from "../client/oidc/id_token.ts";
import { fixedClock } from "../shared/clock.ts";
import { createIdTokenVerifier } from "../server/oidc/verifier.ts";
import { assertEquals } from "./helpers/assert.ts";
import { forgeJws, keyPair, publicJwk, startStaticIssuer } from "./helpers/jws_forge.ts";

const NOW = Math.floor(Date.parse("2031-05-01T12:00:00Z") / 1000);

async function bothSides() {
  const rsa = keyPair("rsa"), ed = keyPair("ed25519");
  // No `alg` on the keys: whether a header's alg is allowed is then the verifier's rule alone.
  const idp = await startStaticIssuer({
    keys: [publicJwk(rsa, { kid: "rsa", use: "sig" }), publicJwk(ed, { kid: "ed", use: "sig" })],
  });
  const at = new Date(NOW * 1000);
  const client = await createClientIdTokenVerifier({
    issuer: idp.issuer,
    clientId: "talosctl",
    jwksUri: `${idp.issuer}/jwks`,
    clock: fixedClock(at),
  });
  const server = createIdTokenVerifier({ issuer: idp.issuer, clientId: "talosctl", now: () => at });
  const claims = { iss: idp.issuer, aud: "talosctl", sub: "alice", iat: NOW, exp: NOW + 300 };
  /** "accepts" or "refuses" from each side, for a token signed with the RSA key (or the Ed25519 one). */
  const verdicts = async (token: string) => ({
    client: await client.verify(token).then(() => "accepts", () => "refuses"),
    server: await server.verify(token).then(() => "accepts", () => "refuses"),
  });
  return { idp, rsa, ed, claims, verdicts };
}

const both = (v: string) => ({ client: v, server: v });

Deno.test("the client and the server take the same algorithms: EdDSA yes, RFC 9864's Ed25519 name no", async () => {
  const { idp, ed, claims, verdicts } = await bothSides();
  await using _ = idp;
  assertEquals(await verdicts(forgeJws({ alg: "EdDSA", kid: "ed" }, claims, ed.privateKey)), both("accepts"));
  const renamed = forgeJws({ alg: "Ed25519", kid: "ed" }, claims, ed.privateKey, "EdDSA");
  assertEquals(await verdicts(renamed), both("refuses"));
});

Deno.test("the client and the server allow the same 60 s of clock leeway for nbf and exp", async () => {
  const { idp, rsa, claims, verdicts } = await bothSides();
  await using _ = idp;
  const sign = (extra: Record<string, number>) =>
    forgeJws({ alg: "RS256", kid: "rsa" }, { ...claims, ...extra }, rsa.privateKey);
  // A laptop clock 45 s behind the IdP: the token is not valid yet by that clock, within the leeway.
  assertEquals(await verdicts(sign({ nbf: NOW + 45 })), both("accepts"));
  assertEquals(await verdicts(sign({ nbf: NOW + 90 })), both("refuses"));
  assertEquals(await verdicts(sign({ iat: NOW - 345, exp: NOW - 45 })), both("accepts"));
  assertEquals(await verdicts(sign({ iat: NOW - 390, exp: NOW - 90 })), both("refuses"));
});
