/** @module createIdTokenVerifier: strict ID token verification for one issuer and client, cheap checks first. */

import { TalosOidcError } from "../../shared/errors.ts";
import { sameIssuer } from "../../shared/issuer.ts";
import { type Logger, nullLogger } from "../../shared/log.ts";
import { type AlgSpec, parseAllowlist } from "./algorithms.ts";
import { checkClaims } from "./claims.ts";
import { parseCompactJws } from "./compact.ts";
import { invalidToken } from "./invalid.ts";
import { urlProblem } from "./issuer_url.ts";
import { createJwksCache, type JwksCache } from "./jwks_cache.ts";
import { type JwkEntry, selectKey } from "./jwks_keys.ts";
import { verifySignature } from "./signature.ts";
import type { IdTokenVerifier, VerifiedIdToken } from "./types.ts";

export interface IdTokenVerifierOptions {
  /**
   * The configured issuer. The discovery document's `issuer` must name it (up to one trailing slash, shared/issuer.ts),
   * and every token's `iss` must then equal the document's value exactly.
   */
  issuer: string;
  clientId: string;
  /** Leeway for exp/nbf/iat in seconds, 0..60 (default 60). */
  clockToleranceSec?: number;
  /** Largest lifetime (`exp - iat`) of an accepted token, in seconds (default 24 h, the max_token_age setting). */
  maxTokenAgeSec?: number;
  /** Allowed JWS algorithms (default: every RS*, PS*, ES* and EdDSA). HS* and none are refused. */
  algorithms?: string[];
  /** Used for discovery and JWKS (inject one that trusts a private CA). */
  fetch?: typeof fetch;
  now?: () => Date;
  /** Monotonic milliseconds for durations the wall clock must not bend (a removed key's grace); default performance.now. */
  elapsed?: () => number;
  logger?: Logger;
  /** Least time between refreshes triggered by an unknown kid (default 30 s). */
  jwksCooldownMs?: number;
  /** Age after which the JWKS is fetched again (default 5 min); on failure the old set keeps serving. */
  jwksMaxAgeMs?: number;
  /** Deadline for one discovery or JWKS fetch (default 5 s). */
  fetchTimeoutMs?: number;
  /** How long a key removed from the issuer's JWKS still verifies once a fetch found it gone (default 0). */
  removedKeyGraceMs?: number;
}

/** Default max_token_age: 24 h, the longest ID-token lifetime IdPs ship by default (Dex). */
const DEFAULT_MAX_TOKEN_AGE_SEC = 24 * 3600;

/**
 * Header `typ` values an ID token may carry, compared after trimming and lower-casing (RFC 7515 §4.1.9: media
 * types are case-insensitive and `application/` may be omitted). Anything else announces another kind of token:
 * `at+jwt` (RFC 9068 §2.1), `logout+jwt`, `secevent+jwt`, ... (RFC 8725 §3.11).
 */
const ID_TOKEN_TYPS = new Set(["jwt", "application/jwt", "jose", "application/jose"]);

/** Largest discovery document or JWKS read. */
const MAX_DOCUMENT_BYTES = 1024 * 1024;

/**
 * Build a verifier. Bad options throw at once: TalosOidcError ERR_CONFIG for the issuer, client id and algorithm
 * list (they come from configuration), RangeError for out-of-range numbers. Nothing is fetched until
 * `warmUp()` or the first `verify()`.
 */
export function createIdTokenVerifier(options: IdTokenVerifierOptions): IdTokenVerifier {
  const { issuer, clientId } = options;
  const issuerProblem = typeof issuer === "string" ? urlProblem(issuer) : "it is not a string";
  if (issuerProblem) {
    throw new TalosOidcError("ERR_CONFIG", `configuring the OIDC issuer "${issuer}": ${issuerProblem}`, {
      hint: "use the https:// issuer URL exactly as the IdP's discovery document spells it",
    });
  }
  if (typeof clientId !== "string" || clientId === "") {
    throw new TalosOidcError("ERR_CONFIG", "configuring the OIDC client id: it is empty");
  }
  const toleranceSec = options.clockToleranceSec ?? 60;
  if (!Number.isFinite(toleranceSec) || toleranceSec < 0 || toleranceSec > 60) {
    throw new RangeError(`clockToleranceSec must be between 0 and 60, got ${toleranceSec}`);
  }
  const maxLifetimeSec = options.maxTokenAgeSec ?? DEFAULT_MAX_TOKEN_AGE_SEC;
  if (!Number.isFinite(maxLifetimeSec) || maxLifetimeSec <= 0) {
    throw new RangeError(`maxTokenAgeSec must be a positive number of seconds, got ${maxLifetimeSec}`);
  }
  const allow = parseAllowlist(options.algorithms);
  const now = options.now ?? (() => new Date());
  const jwks = createJwksCache({
    issuer,
    fetch: options.fetch ?? ((input, init) => globalThis.fetch(input, init)),
    now,
    ...(options.elapsed ? { elapsed: options.elapsed } : {}),
    logger: options.logger ?? nullLogger,
    cooldownMs: duration(options.jwksCooldownMs, 30_000, "jwksCooldownMs"),
    maxAgeMs: duration(options.jwksMaxAgeMs, 300_000, "jwksMaxAgeMs"),
    timeoutMs: duration(options.fetchTimeoutMs, 5_000, "fetchTimeoutMs"),
    maxBytes: MAX_DOCUMENT_BYTES,
    removedKeyGraceMs: duration(options.removedKeyGraceMs, 0, "removedKeyGraceMs"),
  });
  const rules = { clientId, toleranceSec, maxLifetimeSec };
  // Before discovery has run, the stated issuer is not known yet: a token is let through the cheap checks when its
  // iss names the configured issuer, and held to the stated one once the keys (and so the document) are in.
  const expectedIssuer = (iss: unknown) =>
    jwks.issuer() ?? (typeof iss === "string" && sameIssuer(issuer, iss) ? iss : issuer);

  async function verify(token: string): Promise<VerifiedIdToken> {
    // Everything up to the key lookup costs microseconds, so floods of forged tokens never reach the crypto.
    const jws = parseCompactJws(token);
    const { spec, kid } = checkHeader(jws.header, allow);
    const nowSec = Math.floor(now().getTime() / 1000);
    const claims = checkClaims(jws.claims, { ...rules, issuer: expectedIssuer(jws.claims.iss) }, nowSec);
    const entry = await findKey(jwks, spec, kid);
    const stated = jwks.issuer();
    if (claims.iss !== stated) {
      throw invalidToken("issuer_mismatch", `the token issuer ${JSON.stringify(claims.iss)} is not "${stated}"`);
    }
    if (!await verifySignature(spec, entry, jws.signingInput, jws.signature)) {
      throw invalidToken("bad_signature", `the ${spec.alg} signature does not verify with key ${describeKid(kid)}`);
    }
    return kid === undefined ? { claims, alg: spec.alg } : { claims, alg: spec.alg, kid };
  }

  return {
    verify,
    ready: () => jwks.loaded(),
    outage: () => jwks.outage(),
    warmUp: () => jwks.refreshNow(),
  };
}

/**
 * Header rules: `alg` on the allowlist (RFC 8725 §3.1), no `crit` (we implement no extension, RFC 7515 §4.1.11),
 * `kid` a string when present, and `typ`, when present, one an ID token uses (ID_TOKEN_TYPS).
 */
function checkHeader(header: Record<string, unknown>, allow: ReadonlyMap<string, AlgSpec>) {
  const { alg, kid, typ } = header;
  if (typeof alg !== "string" || alg === "") throw invalidToken("malformed", 'the token header has no "alg"');
  const spec = allow.get(alg);
  if (!spec) throw invalidToken("alg_not_allowed", `the token algorithm ${JSON.stringify(alg)} is not allowed`);
  if (Object.hasOwn(header, "crit")) {
    throw invalidToken("malformed", 'the token header has a "crit" parameter; no JWS extension is supported');
  }
  if (kid !== undefined && typeof kid !== "string") throw invalidToken("malformed", 'the token "kid" is not a string');
  if (typ !== undefined) {
    if (typeof typ !== "string") throw invalidToken("malformed", 'the token "typ" is not a string');
    if (!ID_TOKEN_TYPS.has(typ.trim().toLowerCase())) {
      const shown = JSON.stringify(typ.length > 40 ? `${typ.slice(0, 37)}...` : typ);
      throw invalidToken("not_id_token", `the token type ${shown} is not an ID token's (JWT)`);
    }
  }
  return { spec, kid };
}

/** The key for this header; an unknown kid triggers the rate-limited refresh, nothing else does. */
async function findKey(jwks: JwksCache, spec: AlgSpec, kid: string | undefined): Promise<JwkEntry> {
  const keys = await jwks.current();
  if (keys === undefined) throw invalidToken("jwks_unavailable", "the issuer's signing keys could not be fetched");
  let sel = selectKey(keys, spec, kid);
  if (sel.kind === "unknown_kid") {
    const fresh = await jwks.refreshForUnknownKid();
    if (fresh !== undefined && fresh !== keys) sel = selectKey(fresh, spec, kid);
  }
  switch (sel.kind) {
    case "found":
      if (sel.entry.unusable) {
        throw invalidToken(
          "jwks_unavailable",
          `the issuer's key ${describeKid(kid)} is unusable: ${sel.entry.unusable}`,
        );
      }
      return sel.entry;
    case "unknown_kid":
      // While the issuer cannot be asked, an unknown kid may well be its new key: a server problem (503), not a
      // verdict on the token (401).
      if (jwks.outage()) {
        throw invalidToken(
          "jwks_unavailable",
          `no cached key matches kid ${describeKid(kid)} and the issuer's keys cannot be fetched to look for it`,
        );
      }
      throw invalidToken("unknown_kid", `no key of the issuer matches kid ${describeKid(kid)} for ${spec.alg}`);
    case "mismatch":
      throw invalidToken("alg_not_allowed", `the issuer's key ${describeKid(kid)} does not fit ${spec.alg}`);
    case "ambiguous":
      throw invalidToken("unknown_kid", `several keys of the issuer fit ${spec.alg}; the token needs a kid`);
  }
}

function describeKid(kid: string | undefined): string {
  if (kid === undefined) return "(no kid)";
  return JSON.stringify(kid.length > 80 ? `${kid.slice(0, 77)}...` : kid);
}

function duration(value: number | undefined, fallback: number, name: string): number {
  const v = value ?? fallback;
  if (!Number.isFinite(v) || v < 0) throw new RangeError(`${name} must be a non-negative number of milliseconds`);
  return v;
}
