/** @module Rate limits for /exchange: per client IP (middleware, before the token is read) and per subject (after). */

import type { Context, MiddlewareHandler } from "hono";
import { TalosOidcError } from "../../shared/errors.ts";
import type { AuditSink } from "../audit/types.ts";
import { clientKey } from "./ip.ts";
import type { Limiter } from "../state/types.ts";
import type { RateDecision } from "./sliding_window.ts";

/** Variables read here: `clientIp` from clientIp(), `requestId` when the app sets one. */
export type RateLimitEnv = { Variables: { clientIp: string; requestId?: string } };

export interface RateLimitOptions {
  /** The store's limiter for this scope (StateStore.limiter); undefined = the limit is off, everything passes. */
  limiter?: Limiter;
  /** Receives one `rate_limited` event per client per window, however many requests are refused. */
  audit?: Pick<AuditSink, "write">;
  metrics?: { rateLimited(scope: "ip" | "subject"): void };
}

/** The 429 error: Retry-After is the whole seconds until the oldest counted request leaves the window. */
function tooManyRequests(retryAfterMs: number): TalosOidcError<"ERR_RATE_LIMITED"> {
  const retryAfterSeconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
  return new TalosOidcError("ERR_RATE_LIMITED", "rate limit exceeded", { fields: { retryAfterSeconds } });
}

/**
 * Per client sliding window on the routes it is mounted on (mount it after ipAllowlist(), so
 * refused addresses never use up slots). IPv4 addresses count one by one, IPv6 by /64 (clientKey).
 * Over the limit → ERR_RATE_LIMITED "rate limit exceeded" (429 with Retry-After), thrown for onError; a store that
 * cannot be reached → its ERR_STATE_STORE (503), also thrown: the limit fails closed.
 */
export function rateLimit(options: RateLimitOptions): MiddlewareHandler<RateLimitEnv> {
  const { limiter } = options;
  return async function rateLimit(c: Context<RateLimitEnv>, next: () => Promise<void>) {
    if (!limiter) return await next();
    const ip = c.get("clientIp");
    const d = await limiter.hit(clientKey(ip));
    if (d.allowed) return await next();
    report(options, d, "ip", { client_ip: ip, "request.id": c.get("requestId") });
    throw tooManyRequests(d.retryAfterMs);
  };
}

function report(
  o: RateLimitOptions,
  d: Extract<RateDecision, { allowed: false }>,
  scope: "ip" | "subject",
  fields: { client_ip?: string; subject?: string; issuer?: string; "request.id"?: string },
): void {
  o.metrics?.rateLimited(scope);
  if (!d.firstRejection || !o.audit) return;
  const clean = Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined));
  o.audit.write({ type: "rate_limited", reason: scope === "ip" ? "per-IP limit" : "per-subject limit", ...clean });
}

export interface SubjectLimiter {
  /**
   * Call after the ID token is verified and before signing.
   * @throws {TalosOidcError} ERR_RATE_LIMITED when `subject` (scoped by issuer) is over `rate_limit_per_subject`;
   * ERR_STATE_STORE when the store cannot be reached.
   */
  check(c: Context, subject: string, issuer: string): Promise<void>;
}

/** Per-subject limiter (same window as the per-IP one). Without a limiter, check() always allows. */
export function subjectRateLimit(options: RateLimitOptions): SubjectLimiter {
  const { limiter } = options;
  return {
    async check(c, subject, issuer) {
      if (!limiter) return;
      const d = await limiter.hit(JSON.stringify([issuer, subject]));
      if (d.allowed) return;
      const vars = c.var as Partial<RateLimitEnv["Variables"]>;
      report(options, d, "subject", { subject, issuer, client_ip: vars.clientIp, "request.id": vars.requestId });
      throw tooManyRequests(d.retryAfterMs);
    },
  };
}
