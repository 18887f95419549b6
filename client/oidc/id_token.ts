/**
 * @module The client's ID token check (OIDC Core §3.1.3.7) before a token is sent to the exchange server: signature
 * against the IdP's JWKS (jose), iss, aud, azp, exp, iat, and the nonce of a fresh login or the sub of a refresh.
 *
 * The exchange server verifies every token again with its own verifier (server/oidc/verifier.ts), which decides.
 * Where the two differ, on purpose:
 * - The algorithms and the clock leeway are the server's (its default, which `serve` uses): a stricter client would
 *   refuse a token the server takes (a laptop clock 30 s behind the IdP), a looser one would send tokens it refuses.
 * - Only the client checks the nonce (only it knows the login's) and that a refreshed token keeps its `sub` (§12.2).
 * - Only the server refuses access tokens (`typ`, `scope`), bounds `exp - iat` (max_token_age) and holds `iat` to
 *   the leeway: those rules protect the certificate it issues, and the client would only repeat them.
 * - The server reads the key itself (hand-written verifier, bench in tests/bench/verify_bench.ts); the client, which
 *   checks a token or two per login, uses jose.
 */

import type { JWTPayload } from "jose";
import { TalosOidcError } from "../../shared/errors.ts";
import type { Clock } from "../../shared/clock.ts";
import type { Fetch } from "./http.ts";
import { timingSafeEqual } from "./pkce.ts";

/**
 * The server's allowlist (server/oidc/algorithms.ts DEFAULT_ALGORITHMS): asymmetric only, so an HS* token signed with
 * a shared secret is never accepted; tests/id_token_rules_test.ts holds both sides to it.
 */
const ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"];

/** Seconds of clock difference tolerated with the IdP for exp, nbf and iat: the server's leeway (60 s). */
const CLOCK_TOLERANCE_SECONDS = 60;

/** The claims the client reads from a verified ID token. */
export interface ClientIdTokenClaims {
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

export interface ClientIdTokenVerifierOptions {
  issuer: string;
  clientId: string;
  jwksUri: string;
  clock: Clock;
  fetch?: Fetch;
}

export interface ClientIdTokenVerifier {
  /**
   * Verify signature and claims. `nonce` is required for tokens from a fresh login (OIDC Core §3.1.3.7 #11)
   * and omitted for cached or refreshed ones (§12.2: a refreshed ID token carries no new nonce).
   * @throws {TalosOidcError} ERR_INVALID_TOKEN saying which check failed (never the token).
   */
  verify(idToken: string, expect?: { nonce?: string; sub?: string }): Promise<ClientIdTokenClaims>;
}

/** A verifier holding one remote JWKS (fetched on first use, refetched on an unknown kid by jose). */
export async function createClientIdTokenVerifier(
  options: ClientIdTokenVerifierOptions,
): Promise<ClientIdTokenVerifier> {
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
          clockTolerance: CLOCK_TOLERANCE_SECONDS,
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
      return payload as unknown as ClientIdTokenClaims;
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
