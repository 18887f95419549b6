/** @module Contract of ID-token verification: what the exchange route needs from server/oidc. */

/** Stable reasons for a refused token (audit log field and metrics label). */
export type InvalidTokenReason =
  | "malformed" // not a compact JWS, bad base64url/JSON, oversize
  | "alg_not_allowed" // none, HS*, or outside the allowlist
  | "unknown_kid" // no key in the JWKS (even after one refresh)
  | "bad_signature"
  | "issuer_mismatch"
  | "audience_mismatch"
  | "azp_mismatch"
  | "expired"
  | "not_yet_valid" // nbf or iat in the future beyond the leeway
  | "missing_claim" // exp, iss, aud, sub or iat absent
  | "not_id_token" // an access token or another JWT: header typ, payload typ, scope/scp/client_id
  | "lifetime_too_long" // exp - iat above max_token_age
  | "jwks_unavailable"; // discovery/JWKS could not be fetched (server-side problem)

/** Claims of a verified ID token. Only iss/sub/aud/exp/iat are guaranteed present. */
export interface IdTokenClaims {
  iss: string;
  sub: string;
  aud: string | string[];
  exp: number;
  iat: number;
  nbf?: number;
  azp?: string;
  email?: string;
  nonce?: string;
  [claim: string]: unknown;
}

export interface VerifiedIdToken {
  claims: IdTokenClaims;
  alg: string;
  kid?: string;
}

/**
 * Verifies ID tokens for one issuer + client id.
 * `verify` throws `TalosOidcError("ERR_INVALID_TOKEN", "invalid token", { fields: { reason, detail } })`
 * where `reason` is an InvalidTokenReason and `detail` a human sentence (never the token).
 */
export interface IdTokenVerifier {
  verify(token: string): Promise<VerifiedIdToken>;
  /** True once the issuer's JWKS has been fetched successfully at least once (for /readyz). */
  ready(): boolean;
  /** Set while the latest discovery/JWKS refresh failed: since when, why, and when the keys in use were fetched. */
  outage(): { since: Date; error: string; fetchedAt?: Date } | undefined;
  /** Fetch discovery + JWKS now (startup warm-up); resolves false on failure, never throws. */
  warmUp(): Promise<boolean>;
}
