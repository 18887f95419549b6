/** @module The cached token's JSON shape (the original tool's), its parsing and expiry rules. */

import { jwtExpiry } from "../../shared/jwt_payload.ts";
import type { CachedToken } from "../types.ts";

/** A token counts as expired this long before its `expires_at` (the original tool's 30 s rule). */
const EXPIRY_LEEWAY_MS = 30_000;

/**
 * A cached ID token is reused only with more than this left before `exp`: the original tool's early-expiry rule for
 * its token cache (30 s), so the token does not expire on its way to the server.
 */
const FRESHNESS_MARGIN_SECONDS = 30;

/** Compact JSON with the original tool's field order: access_token, refresh_token, id_token, expires_at, issuer, client_id. */
export function serializeToken(token: CachedToken): string {
  const { access_token, refresh_token, id_token, expires_at, issuer, client_id, ...rest } = token;
  return JSON.stringify({ access_token, refresh_token, id_token, expires_at, issuer, client_id, ...rest });
}

/** Parse a stored token; null when it is not a token object (a corrupt entry is ignored, not fatal). */
export function parseToken(value: unknown): CachedToken | null {
  let v = value;
  if (typeof v === "string") {
    try {
      v = JSON.parse(v);
    } catch {
      return null;
    }
  }
  if (v === null || typeof v !== "object" || Array.isArray(v)) return null;
  const t = v as Record<string, unknown>;
  if (typeof t.issuer !== "string" || typeof t.client_id !== "string") return null;
  for (const k of ["access_token", "refresh_token", "id_token", "expires_at", "no_roles_at"]) {
    if (t[k] !== undefined && t[k] !== null && typeof t[k] !== "string") return null;
  }
  if (t.scopes !== undefined && !(Array.isArray(t.scopes) && t.scopes.every((x) => typeof x === "string"))) return null;
  return t as unknown as CachedToken;
}

/** Issuers compare equal with or without one trailing slash (the shared rule, shared/issuer.ts). */
export { sameIssuer } from "../../shared/issuer.ts";

/** `expires_at` as a Date, or null when absent or unparsable. */
export function tokenExpiry(token: CachedToken): Date | null {
  if (!token.expires_at) return null;
  const d = new Date(token.expires_at);
  return Number.isNaN(d.getTime()) ? null : d;
}

/**
 * True when a cached ID token still has more than `marginSeconds` (default 30 s) left before its `exp` (read, not
 * verified: client/oidc/id_token.ts verifies a token before it is cached).
 */
export function isIdTokenFresh(idToken: string, now: Date, marginSeconds = FRESHNESS_MARGIN_SECONDS): boolean {
  return isExpiryFresh(jwtExpiry(idToken), now, marginSeconds);
}

/** isIdTokenFresh for the `exp` of a token already decoded. */
export function isExpiryFresh(exp: Date | undefined, now: Date, marginSeconds = FRESHNESS_MARGIN_SECONDS): boolean {
  return exp !== undefined && exp.getTime() - marginSeconds * 1000 > now.getTime();
}

/** True when the access token expires within `leewayMs` of `now` (no expiry = expired). */
export function isTokenExpired(token: CachedToken, now: Date, leewayMs = EXPIRY_LEEWAY_MS): boolean {
  const exp = tokenExpiry(token);
  return exp === null || now.getTime() > exp.getTime() - leewayMs;
}
