/** @module The table of forged and invalid ID tokens tests/forged_tokens_test.ts runs: each with our reason and jose's. */

import type { KeyObject } from "node:crypto";
import type { InvalidTokenReason } from "../server/oidc/types.ts";
import { b64u, forgeJws } from "./helpers/jws_forge.ts";
import type { TestIdp } from "./helpers/idp.ts";

export interface Row {
  name: string;
  token: (ctx: Ctx) => Promise<string> | string;
  reason: InvalidTokenReason;
  /** jose.jwtVerify's verdict mapped onto our reasons, or "accepts" where only our extra rules refuse. */
  jose: InvalidTokenReason | "accepts";
}

export interface Ctx {
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

export const ROWS: Row[] = [
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
