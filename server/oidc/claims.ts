/** @module ID token claim rules (OIDC Core §3.1.3.7, RFC 7519 §4.1): jose's jwtVerify semantics plus our extra rules. */

import { invalidToken } from "./invalid.ts";
import type { IdTokenClaims } from "./types.ts";

export interface ClaimRules {
  issuer: string;
  clientId: string;
  /** Leeway for exp, nbf and iat, in seconds. */
  toleranceSec: number;
}

/** Claims that must be present before anything is compared (jose checks them in this order). */
const REQUIRED = ["iss", "aud", "sub", "exp"] as const;

/**
 * Check `claims` at `nowSec` (whole seconds, floored like jose) and return them typed.
 * Agrees with jose `jwtVerify({ issuer, audience, requiredClaims: ["exp", "sub"], clockTolerance })`, and adds:
 * `sub` a non-empty string, `aud` only strings, `azp` equal to the client id when present and required when
 * there are several audiences, and `iat` no later than now + leeway.
 */
export function checkClaims(claims: Record<string, unknown>, rules: ClaimRules, nowSec: number): IdTokenClaims {
  for (const name of REQUIRED) {
    if (!Object.hasOwn(claims, name)) throw invalidToken("missing_claim", `the token has no "${name}" claim`);
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
  const iat = numericDate(claims, "iat");
  const nbf = numericDate(claims, "nbf");
  const exp = numericDate(claims, "exp")!;
  const tol = rules.toleranceSec;
  if (nbf !== undefined && nbf > nowSec + tol) {
    throw invalidToken("not_yet_valid", `the token is not valid before ${when(nbf)}`);
  }
  if (exp <= nowSec - tol) throw invalidToken("expired", `the token expired at ${when(exp)}`);
  if (iat !== undefined && iat > nowSec + tol) {
    throw invalidToken("not_yet_valid", `the token was issued in the future (${when(iat)})`);
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
