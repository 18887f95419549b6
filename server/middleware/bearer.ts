/** @module Bearer-token guard for /admin/stats, /admin/certs and /metrics: digests compared in constant time. */

import { createHash, timingSafeEqual } from "node:crypto";
import type { MiddlewareHandler } from "hono";
import { TalosOidcError } from "../../shared/errors.ts";
import type { Secret } from "../../shared/secret.ts";

export interface BearerOptions {
  /** The expected token. Only its SHA-256 digest is kept. */
  token: Secret;
  /** Realm in WWW-Authenticate on 401 (default "talosctl-oidc"). */
  realm?: string;
}

/** SHA-256 of a string; comparing fixed-length digests hides the token's length and content timing. */
function digest(text: string): Buffer {
  return createHash("sha256").update(text, "utf8").digest();
}

/**
 * True when `presented` equals the secret. Both sides are hashed first, then compared with
 * timingSafeEqual, so neither length nor a common prefix leaks through timing.
 */
export function secretMatches(expectedDigest: Uint8Array, presented: string): boolean {
  return timingSafeEqual(expectedDigest, digest(presented));
}

/** The digest to hand to secretMatches (computed once, at startup). */
export function secretDigest(secret: Secret): Uint8Array {
  return digest(secret.reveal());
}

/**
 * `Authorization: Bearer <token>` required. Missing or not Bearer → ERR_UNAUTHORIZED (401 with WWW-Authenticate,
 * RFC 6750 §3); wrong token → ERR_FORBIDDEN (403), thrown for onError to answer. Session cookies are not accepted.
 * @throws {RangeError} when built with an empty token.
 */
export function bearerAuth(options: BearerOptions): MiddlewareHandler {
  if (options.token.reveal().length === 0) throw new RangeError("bearerAuth: the token must not be empty");
  const expected = secretDigest(options.token);
  const realm = options.realm ?? "talosctl-oidc";
  return async function bearerAuth(c, next) {
    const header = c.req.header("authorization");
    if (!header) {
      throw new TalosOidcError("ERR_UNAUTHORIZED", "missing Authorization header", {
        fields: { challenge: `Bearer realm="${realm}"` },
      });
    }
    const m = /^Bearer +(\S+) *$/i.exec(header);
    if (!m) {
      throw new TalosOidcError("ERR_UNAUTHORIZED", "invalid Authorization header (expected Bearer token)", {
        fields: { challenge: `Bearer realm="${realm}", error="invalid_request"` },
      });
    }
    if (!secretMatches(expected, m[1]!)) throw new TalosOidcError("ERR_FORBIDDEN", "invalid admin token");
    await next();
  };
}
