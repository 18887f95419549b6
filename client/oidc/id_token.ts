/**
 * @module Client-side ID token checks (OIDC Core §3.1.3.7): signature against the IdP JWKS, iss, aud, azp,
 * exp, iat and the nonce of a fresh login, before the token is sent to the exchange server.
 */

import type { JWTPayload } from "jose";
import { TalosOidcError } from "../../shared/errors.ts";
import type { Clock } from "../../shared/clock.ts";
import { jwtExpiry } from "../../shared/jwt_payload.ts";
import type { Fetch } from "./http.ts";
import { timingSafeEqual } from "./pkce.ts";

/** Asymmetric algorithms only: an HS* token signed with a shared secret is never accepted. */
const ALGORITHMS = [
  "RS256",
  "RS384",
  "RS512",
  "PS256",
  "PS384",
  "PS512",
  "ES256",
  "ES384",
  "ES512",
  "EdDSA",
  "Ed25519",
];

/** Seconds of clock difference tolerated with the IdP (jose clockTolerance; PITFALLS: ≤ 60 s). */
const CLOCK_SKEW_SECONDS = 30;

/** The claims the client reads from a verified ID token. */
export interface IdTokenClaims {
  iss: string;
  sub: string;
  aud: string | string[];
  exp: number;
  iat: number;
  nonce?: string;
  email?: string;
  preferred_username?: string;
  name?: string;
}

export interface IdTokenVerifierOptions {
  issuer: string;
  clientId: string;
  jwksUri: string;
  clock: Clock;
  fetch?: Fetch;
}

export interface IdTokenVerifier {
  /**
   * Verify signature and claims. `nonce` is required for tokens from a fresh login (OIDC Core §3.1.3.7 #11)
   * and omitted for cached or refreshed ones (§12.2: a refreshed ID token carries no new nonce).
   * @throws {TalosOidcError} ERR_INVALID_TOKEN saying which check failed (never the token).
   */
  verify(idToken: string, expect?: { nonce?: string; sub?: string }): Promise<IdTokenClaims>;
}

/** A verifier holding one remote JWKS (fetched on first use, refetched on an unknown kid by jose). */
export async function createIdTokenVerifier(options: IdTokenVerifierOptions): Promise<IdTokenVerifier> {
  const jose = await import("jose");
  const jwks = jose.createRemoteJWKSet(new URL(options.jwksUri), {
    timeoutDuration: 15_000,
    ...(options.fetch ? { [jose.customFetch]: options.fetch } : {}),
  });
  const fail = (why: string, cause?: unknown) =>
    new TalosOidcError("ERR_INVALID_TOKEN", `the ID token from "${options.issuer}" failed validation: ${why}`, {
      cause,
      hint: "check --provider and --client-id; if your clock is off, fix it",
    });
  return {
    async verify(idToken, expect = {}) {
      let payload: JWTPayload;
      try {
        ({ payload } = await jose.jwtVerify(idToken, jwks, {
          issuer: options.issuer,
          audience: options.clientId,
          algorithms: ALGORITHMS,
          requiredClaims: ["exp", "iat", "sub"],
          clockTolerance: CLOCK_SKEW_SECONDS,
          currentDate: options.clock.now(),
        }));
      } catch (err) {
        if (err instanceof jose.errors.JOSEError) throw fail(describeJoseError(err), err);
        throw err;
      }
      const aud = payload.aud!;
      // §3.1.3.7 #4–5: with several audiences (or any azp) the authorized party must be us.
      if ((Array.isArray(aud) && aud.length > 1) || payload.azp !== undefined) {
        if (payload.azp !== options.clientId) throw fail(`"azp" is not "${options.clientId}"`);
      }
      if (expect.nonce !== undefined) {
        if (typeof payload.nonce !== "string") throw fail(`"nonce" is missing`);
        if (!timingSafeEqual(payload.nonce, expect.nonce)) throw fail(`"nonce" does not match this login`);
      }
      if (expect.sub !== undefined && payload.sub !== expect.sub) {
        throw fail(`"sub" changed after a refresh (OIDC Core §12.2)`);
      }
      return payload as unknown as IdTokenClaims;
    },
  };
}

function describeJoseError(err: Error & { code?: string; claim?: string }): string {
  switch (err.code) {
    case "ERR_JWT_EXPIRED":
      return "it has expired";
    case "ERR_JWS_SIGNATURE_VERIFICATION_FAILED":
    case "ERR_JWKS_NO_MATCHING_KEY":
      return "its signature does not verify against the IdP's keys";
    case "ERR_JOSE_ALG_NOT_ALLOWED":
      return "it is signed with an algorithm that is not allowed";
    case "ERR_JWT_CLAIM_VALIDATION_FAILED":
      return err.claim ? `the "${err.claim}" claim check failed` : err.message;
    case "ERR_JWKS_TIMEOUT":
      return "fetching the IdP's keys timed out";
    default:
      return err.message;
  }
}

/** True when a cached ID token still has more than the skew (and `marginSeconds`) left before `exp`. */
export function isIdTokenFresh(idToken: string, now: Date, marginSeconds = CLOCK_SKEW_SECONDS): boolean {
  const exp = jwtExpiry(idToken);
  return exp !== undefined && exp.getTime() - marginSeconds * 1000 > now.getTime();
}
