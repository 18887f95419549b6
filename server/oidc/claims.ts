/** @module ID token claim rules (OIDC Core §3.1.3.7, RFC 7519 §4.1): jose's jwtVerify semantics plus our extra rules. */

import { invalidToken } from "./invalid.ts";
import type { IdTokenClaims } from "./types.ts";

export interface ClaimRules {
  issuer: string;
  clientId: string;
  /** Leeway for exp, nbf and iat, in seconds. */
  toleranceSec: number;
  /** Largest `exp - iat` accepted, in seconds (max_token_age). */
  maxLifetimeSec: number;
}

/**
 * Claims that must be present before anything is compared (jose checks the first four in this order). `iat` is
 * REQUIRED in an ID token (OIDC Core §2), and without it the token's lifetime could not be bounded.
 */
const REQUIRED = ["iss", "aud", "sub", "exp", "iat"] as const;

/** Claims of an OAuth access token (RFC 9068 §2.2, RFC 8693 §4.3) that an ID token never carries. */
const ACCESS_TOKEN_CLAIMS = ["scope", "scp", "client_id"] as const;

/**
 * Check `claims` at `nowSec` (whole seconds, floored like jose) and return them typed.
 * Agrees with jose `jwtVerify({ issuer, audience, requiredClaims: ["exp", "sub", "iat"], clockTolerance })`, and
 * adds: no access-token claims (`scope`, `scp`, `client_id`) and a payload `typ`, when present, of "ID"; `sub` a
 * non-empty string, `aud` only strings, `azp` equal to the client id when present and required when there are
 * several audiences, `iat` no later than now + leeway, and `exp - iat` at most `maxLifetimeSec`.
 */
export function checkClaims(claims: Record<string, unknown>, rules: ClaimRules, nowSec: number): IdTokenClaims {
  for (const name of REQUIRED) {
    if (!Object.hasOwn(claims, name)) throw invalidToken("missing_claim", `the token has no "${name}" claim`);
  }
  for (const name of ACCESS_TOKEN_CLAIMS) {
    if (Object.hasOwn(claims, name)) {
      throw invalidToken("not_id_token", `the token carries "${name}": it is an access token, not an ID token`);
    }
  }
  // Keycloak marks its tokens with a payload typ: "ID" for ID tokens, "Bearer" or "Refresh" for the others.
  if (Object.hasOwn(claims, "typ") && !(typeof claims.typ === "string" && claims.typ.toLowerCase() === "id")) {
    throw invalidToken("not_id_token", `the token's typ claim ${show(claims.typ)} is not "ID"`);
  }
  const { iss, aud, sub, azp } = claims;
  if (iss !== rules.issuer) {
    throw invalidToken("issuer_mismatch", `the token issuer ${show(iss)} is not "${rules.issuer}"`);
  }
  if (!(typeof aud === "string" || (Array.isArray(aud) && aud.every((a) => typeof a === "string")))) {
    throw invalidToken("malformed", 'the "aud" claim is not a string or an array of strings');
  }
  if (typeof aud === "string" ? aud !== rules.clientId : !aud.includes(rules.clientId)) {
    throw invalidToken("audience_mismatch", `the token audience ${show(aud)} does not include "${rules.clientId}"`);
  }
  if (Object.hasOwn(claims, "azp") && azp !== rules.clientId) {
    throw invalidToken("azp_mismatch", `the token azp ${show(azp)} is not "${rules.clientId}"`);
  }
  if (Array.isArray(aud) && aud.length > 1 && !Object.hasOwn(claims, "azp")) {
    throw invalidToken("azp_mismatch", "the token has several audiences but no azp claim");
  }
  if (typeof sub !== "string" || sub.length === 0) {
    throw invalidToken("missing_claim", 'the "sub" claim is not a non-empty string');
  }
  const iat = numericDate(claims, "iat")!;
  const nbf = numericDate(claims, "nbf");
  const exp = numericDate(claims, "exp")!;
  const tol = rules.toleranceSec;
  if (nbf !== undefined && nbf > nowSec + tol) {
    throw invalidToken("not_yet_valid", `the token is not valid before ${when(nbf)}`);
  }
  if (exp <= nowSec - tol) throw invalidToken("expired", `the token expired at ${when(exp)}`);
  if (iat > nowSec + tol) throw invalidToken("not_yet_valid", `the token was issued in the future (${when(iat)})`);
  // Both are the IdP's own clock, so no leeway: a token meant to live for years is refused however fresh it looks.
  if (exp - iat > rules.maxLifetimeSec) {
    throw invalidToken(
      "lifetime_too_long",
      `the token lives ${Math.round(exp - iat)} s (iat to exp), more than max_token_age (${rules.maxLifetimeSec} s)`,
    );
  }
  return claims as IdTokenClaims;
}

/** A NumericDate claim (RFC 7519 §2): a JSON number when present. */
function numericDate(claims: Record<string, unknown>, name: string): number | undefined {
  if (!Object.hasOwn(claims, name)) return undefined;
  const value = claims[name];
  if (typeof value !== "number") throw invalidToken("malformed", `the "${name}" claim is not a number`);
  return value;
}

function when(sec: number): string {
  const d = new Date(sec * 1000);
  return Number.isNaN(d.getTime()) ? String(sec) : d.toISOString();
}

/** A claim value for a message: JSON, cut short (claims are not secrets, but can be long). */
function show(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}
