/** @module Bearer-token guard for /admin/stats, /admin/certs and /metrics: digests compared in constant time. */

import { createHash, timingSafeEqual } from "node:crypto";
import type { Context, MiddlewareHandler } from "hono";
import { TalosOidcError } from "../../shared/errors.ts";
import type { Secret } from "../../shared/secret.ts";
import type { AdminLockout } from "../state/types.ts";
import { clientKey } from "./ip.ts";

export interface BearerOptions {
  /** The expected token. Only its SHA-256 digest is kept. */
  token: Secret;
  /** Realm in WWW-Authenticate on 401 (default "talosctl-oidc"). */
  realm?: string;
  /**
   * Brute-force lock-out, keyed by the client address (clientIp()): while it holds, requests are refused with 429
   * before the token is compared; each wrong token counts. The admin API shares the dashboard sign-in's.
   */
  lockout?: AdminLockout;
  /** Called for each wrong token, with the lock it caused (ms, 0 if none): the admin API audits it. */
  onFailure?: (c: Context, lockedMs: number) => void;
}

/** The 429 for a locked-out address: how long it waits, never whether the token was right. */
function lockedOut(ms: number): TalosOidcError<"ERR_RATE_LIMITED"> {
  return new TalosOidcError("ERR_RATE_LIMITED", "too many failed attempts with the admin token", {
    fields: { retryAfterSeconds: Math.max(1, Math.ceil(ms / 1000)) },
  });
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
 * RFC 6750 §3); wrong token → ERR_FORBIDDEN (403); a locked-out address → ERR_RATE_LIMITED (429 with Retry-After),
 * thrown for onError to answer. Session cookies are not accepted.
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
    const ok = secretMatches(expected, m[1]!);
    if (options.lockout) {
      const key = clientKey((c.var as { clientIp?: string }).clientIp ?? "");
      const a = await options.lockout.attempt(key, ok);
      if (a.outcome === "locked") throw lockedOut(a.retryMs);
      if (a.outcome === "failed") options.onFailure?.(c, a.lockMs);
    } else if (!ok) options.onFailure?.(c, 0);
    if (!ok) throw new TalosOidcError("ERR_FORBIDDEN", "invalid admin token");
    await next();
  };
}
