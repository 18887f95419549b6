/** @module Forged and invalid ID tokens, each refused for the right reason, and what jose alone says about each. */

import * as jose from "jose";
import type { KeyObject } from "node:crypto";
import { createIdTokenVerifier } from "../server/oidc/verifier.ts";
import { invalidTokenReason } from "../server/oidc/invalid.ts";
import type { InvalidTokenReason } from "../server/oidc/types.ts";
import { b64u, forgeJws } from "../server/oidc/testdata/forge.ts";
import { joseOutcome } from "../server/oidc/testdata/reference.ts";
import { DEFAULT_ALGORITHMS } from "../server/oidc/algorithms.ts";
import { assert, assertEquals } from "./helpers/assert.ts";
import { generateSigningKey, startTestIdp, type TestIdp } from "./helpers/idp.ts";

interface Row {
  name: string;
  token: (ctx: Ctx) => Promise<string> | string;
  reason: InvalidTokenReason;
  /** jose.jwtVerify's verdict mapped onto our reasons, or "accepts" where only our extra rules refuse. */
  jose: InvalidTokenReason | "accepts";
}

interface Ctx {
  idp: TestIdp;
  other: TestIdp;
  now: number;
  /** Claims of a valid token for `idp`. */
  claims: Record<string, unknown>;
  /** Sign any header and claims with the IdP's own RSA key. */
  withIdpKey(header: Record<string, unknown>, claims?: Record<string, unknown>, signAs?: string): string;
  stranger: Record<"RS256" | "ES256", KeyObject>;
}

const enc = new TextEncoder();

const ROWS: Row[] = [
  {
    name: "an expired token",
    token: (c) => c.idp.mint({ iat: c.now - 7200, exp: c.now - 3600 }),
    reason: "expired",
    jose: "expired",
  },
  {
    name: "a token from another issuer URL",
    token: (c) => c.idp.mint({ iss: "https://evil.example" }),
    reason: "issuer_mismatch",
    jose: "issuer_mismatch",
  },
  {
    name: "a token for another client",
    token: (c) => c.idp.mint({ aud: "kubectl" }),
    reason: "audience_mismatch",
    jose: "audience_mismatch",
  },
  {
    name: "a token not valid before an hour from now",
    token: (c) => c.idp.mint({ nbf: c.now + 3600 }),
    reason: "not_yet_valid",
    jose: "not_yet_valid",
  },
  {
    name: "a token without exp",
    token: (c) => c.idp.mint({ exp: undefined }),
    reason: "missing_claim",
    jose: "missing_claim",
  },
  {
    name: "a token without sub",
    token: (c) => c.idp.mint({ sub: undefined }),
    reason: "missing_claim",
    jose: "missing_claim",
  },
  {
    name: "an unsigned alg none token",
    token: (c) => `${b64u({ alg: "none", kid: c.idp.keys.RS256.kid })}.${b64u(c.claims)}.`,
    reason: "alg_not_allowed",
    jose: "alg_not_allowed",
  },
  {
    name: "an HS256 token keyed with the IdP's public key PEM (alg confusion)",
    token: (c) =>
      forgeJws(
        { alg: "HS256", kid: c.idp.keys.RS256.kid },
        c.claims,
        enc.encode(c.idp.keys.RS256.publicKey.export({ type: "spki", format: "pem" }) as string),
      ),
    reason: "alg_not_allowed",
    jose: "alg_not_allowed",
  },
  {
    name: "an HS256 token keyed with the IdP's public JWK (alg confusion)",
    token: (c) =>
      forgeJws(
        { alg: "HS256", kid: c.idp.keys.RS256.kid },
        c.claims,
        enc.encode(JSON.stringify(c.idp.keys.RS256.publicKey.export({ format: "jwk" }))),
      ),
    reason: "alg_not_allowed",
    jose: "alg_not_allowed",
  },
  {
    name: "a stranger's signature under the IdP's kid",
    token: (c) => c.idp.mint({}, { key: c.stranger.RS256 }),
    reason: "bad_signature",
    jose: "bad_signature",
  },
  {
    name: "a valid token whose payload was swapped for a root one",
    token: async (c) => {
      const [h, , s] = (await c.idp.mint()).split(".");
      return `${h}.${b64u({ ...c.claims, sub: "root", groups: ["talos-admins"] })}.${s}`;
    },
    reason: "bad_signature",
    jose: "bad_signature",
  },
  { name: "garbage", token: () => "not-a-jwt", reason: "malformed", jose: "malformed" },
  {
    name: "a token of 20 KiB",
    token: (c) => c.idp.mint({ pad: "x".repeat(20 * 1024) }),
    reason: "malformed",
    jose: "accepts",
  },
  {
    name: "a token minted by a second IdP",
    token: (c) => c.other.mint(),
    reason: "issuer_mismatch",
    jose: "unknown_kid", // jose looks for the key before it reads the claims
  },
  {
    name: "a second IdP's token claiming the first IdP as issuer",
    token: (c) => c.other.mint({ iss: c.idp.issuer }),
    reason: "unknown_kid",
    jose: "unknown_kid",
  },
  {
    name: "several audiences with an azp for another client",
    token: (c) => c.idp.mint({ aud: [c.idp.clientId, "kubectl"], azp: "kubectl" }),
    reason: "azp_mismatch",
    jose: "accepts",
  },
  {
    name: "several audiences without azp",
    token: (c) => c.idp.mint({ aud: [c.idp.clientId, "kubectl"] }),
    reason: "azp_mismatch",
    jose: "accepts",
  },
  {
    name: "a token issued an hour in the future",
    token: (c) => c.idp.mint({ iat: c.now + 3600 }),
    reason: "not_yet_valid",
    jose: "accepts",
  },
  {
    name: "a crit header naming an unknown extension",
    token: (c) => c.withIdpKey({ crit: ["exp"], exp: 1 }),
    reason: "malformed",
    jose: "malformed",
  },
  {
    name: "a crit header naming b64",
    token: (c) => c.withIdpKey({ crit: ["b64"], b64: true }),
    reason: "malformed",
    jose: "accepts",
  },
  {
    name: "an ES256 header on the IdP's RSA kid",
    token: (c) => forgeJws({ alg: "ES256", kid: c.idp.keys.RS256.kid }, c.claims, c.stranger.ES256),
    reason: "alg_not_allowed",
    jose: "unknown_kid",
  },
  {
    name: "an embedded jwk header carrying the attacker's key",
    token: (c) =>
      c.idp.mint({}, { key: c.stranger.RS256, header: { jwk: c.stranger.RS256.export({ format: "jwk" }) } }),
    reason: "bad_signature",
    jose: "bad_signature",
  },
  {
    name: "a jku header pointing at the attacker",
    token: (c) => c.idp.mint({}, { key: c.stranger.RS256, header: { jku: "https://evil.example/jwks" } }),
    reason: "bad_signature",
    jose: "bad_signature",
  },
  {
    name: "an x5u header pointing at the attacker's certificate",
    token: (c) => c.idp.mint({}, { key: c.stranger.RS256, header: { x5u: "https://evil.example/cert.pem" } }),
    reason: "bad_signature",
    jose: "bad_signature",
  },
  {
    name: "a kid naming a key of the IdP's set that does not fit the alg (ES256 kid on an RS256 token)",
    token: (c) => c.idp.mint({}, { kid: c.idp.keys.ES256.kid }),
    reason: "alg_not_allowed",
    jose: "unknown_kid",
  },
  {
    name: "a kid with path and SQL tricks",
    token: (c) => c.idp.mint({}, { kid: "../../../../dev/null' OR '1'='1" }),
    reason: "unknown_kid",
    jose: "unknown_kid",
  },
  {
    name: "an RS256 signature relabelled PS256",
    token: (c) => c.withIdpKey({ alg: "PS256" }, undefined, "RS256"),
    reason: "bad_signature",
    jose: "bad_signature",
  },
  {
    name: "an access token (typ at+jwt)",
    token: (c) => c.idp.mint({}, { header: { typ: "at+jwt" } }),
    reason: "not_id_token",
    jose: "accepts",
  },
  ...["application/at+jwt ", " AT+JWT", "Application/At+Jwt", "application/ at+jwt", "Bearer", "logout+jwt"].map(
    (typ): Row => ({
      name: `an access token or other JWT by its header typ ${JSON.stringify(typ)}`,
      token: (c) => c.idp.mint({}, { header: { typ } }),
      reason: "not_id_token",
      jose: "accepts",
    }),
  ),
  {
    name: "a header typ that is not a string",
    token: (c) => c.idp.mint({}, { header: { typ: ["JWT"] } }),
    reason: "malformed",
    jose: "accepts",
  },
  {
    name: "a Keycloak-style access token (payload typ Bearer, scope, aud [talosctl, account] with azp)",
    token: (c) =>
      c.idp.mint({
        typ: "Bearer",
        scope: "openid email profile",
        aud: [c.idp.clientId, "account"],
        azp: c.idp.clientId,
      }),
    reason: "not_id_token",
    jose: "accepts",
  },
  ...[{ scope: "openid" }, { scp: ["openid"] }, { client_id: "talosctl" }, { typ: "Refresh" }].map((extra): Row => ({
    name: `a token carrying ${JSON.stringify(extra)} (an access token's claim)`,
    token: (c) => c.idp.mint(extra),
    reason: "not_id_token",
    jose: "accepts",
  })),
  {
    name: "a token issued ten years ago that expires in the year 33658 (exp 1e12)",
    token: (c) => c.idp.mint({ iat: c.now - 10 * 365 * 86400, exp: 1e12 }),
    reason: "lifetime_too_long",
    jose: "accepts",
  },
  {
    name: "a token that lives one second longer than max_token_age (24 h)",
    token: (c) => c.idp.mint({ iat: c.now - 60, exp: c.now - 60 + 86400 + 1 }),
    reason: "lifetime_too_long",
    jose: "accepts",
  },
  {
    name: "a token without iat (its lifetime cannot be bounded)",
    token: (c) => c.idp.mint({ iat: undefined }),
    reason: "missing_claim",
    jose: "accepts",
  },
  {
    name: "a valid signature spelled with non-canonical base64url",
    token: async (c) => {
      const token = await c.idp.mint();
      const last = token.at(-1)!; // RSA-2048 signatures end on a 2-character group: 4 unused bits
      return token.slice(0, -1) + String.fromCharCode(last.charCodeAt(0) + 1);
    },
    reason: "malformed",
    jose: "accepts",
  },
];

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
