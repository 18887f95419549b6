/** @module Bearer-token guard for /admin/stats, /admin/certs and /metrics: digests compared in constant time. */

import { createHash, timingSafeEqual } from "node:crypto";
import type { MiddlewareHandler } from "hono";
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
 * `Authorization: Bearer <token>` required. Missing or not Bearer → 401 (with WWW-Authenticate,
 * RFC 6750 §3); wrong token → 403. Session cookies are not accepted here.
 * @throws {RangeError} when built with an empty token.
 */
export function bearerAuth(options: BearerOptions): MiddlewareHandler {
  if (options.token.reveal().length === 0) throw new RangeError("bearerAuth: the token must not be empty");
  const expected = secretDigest(options.token);
  const realm = options.realm ?? "talosctl-oidc";
  return async function bearerAuth(c, next) {
    const header = c.req.header("authorization");
    if (!header) {
      c.header("WWW-Authenticate", `Bearer realm="${realm}"`);
      return c.json({ error: "missing Authorization header", code: "ERR_UNAUTHORIZED" }, 401);
    }
    const m = /^Bearer +(\S+) *$/i.exec(header);
    if (!m) {
      c.header("WWW-Authenticate", `Bearer realm="${realm}", error="invalid_request"`);
      return c.json({ error: "invalid Authorization header (expected Bearer token)", code: "ERR_UNAUTHORIZED" }, 401);
    }
    if (!secretMatches(expected, m[1]!)) {
      return c.json({ error: "invalid admin token", code: "ERR_FORBIDDEN" }, 403);
    }
    await next();
  };
}
