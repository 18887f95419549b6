/** @module Rate limits for /exchange: per client IP (middleware, before the token is read) and per subject (after). */

import type { Context, MiddlewareHandler } from "hono";
import { TalosOidcError } from "../../shared/errors.ts";
import type { AuditSink } from "../audit/types.ts";
import { clientKey } from "./ip.ts";
import { createSlidingWindow, type RateDecision, type SlidingWindowLimiter } from "./sliding_window.ts";

/** Variables read here: `clientIp` from clientIp(), `requestId` when the app sets one. */
export type RateLimitEnv = { Variables: { clientIp: string; requestId?: string } };

export interface RateLimitOptions {
  /** Requests per window per client IP; 0 disables the limiter (the middleware passes everything). */
  requests: number;
  windowMs: number;
  /** Most client IPs tracked (default 10,000; see createSlidingWindow for the trade-off). */
  maxEntries?: number;
  /** Milliseconds since the epoch (default Date.now). */
  now?: () => number;
  /** Receives one `rate_limited` event per client per window, however many requests are refused. */
  audit?: Pick<AuditSink, "write">;
  metrics?: { rateLimited(scope: "ip" | "subject"): void };
}

/** The 429 error: Retry-After is the whole seconds until the oldest counted request leaves the window. */
function tooManyRequests(retryAfterMs: number): TalosOidcError<"ERR_RATE_LIMITED"> {
  const retryAfterSeconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
  return new TalosOidcError("ERR_RATE_LIMITED", "rate limit exceeded", { fields: { retryAfterSeconds } });
}

/** Build a limiter, or undefined when `requests` is 0. @throws {RangeError} for a bad limit or window. */
function buildLimiter(o: RateLimitOptions, what: string): SlidingWindowLimiter | undefined {
  if (!Number.isInteger(o.requests) || o.requests < 0) {
    throw new RangeError(`${what} must be a whole number (0 = disabled), got ${o.requests}`);
  }
  if (o.requests === 0) return undefined;
  return createSlidingWindow({ limit: o.requests, windowMs: o.windowMs, maxEntries: o.maxEntries, now: o.now });
}

/** The per-IP limiter as middleware, with its table size exposed for metrics and the bench. */
export type RateLimitMiddleware = MiddlewareHandler<RateLimitEnv> & { entries(): number };

/**
 * Per client sliding window on the routes it is mounted on (mount it after ipAllowlist(), so
 * refused addresses never use up slots). IPv4 addresses count one by one, IPv6 by /64 (clientKey).
 * Over the limit → ERR_RATE_LIMITED "rate limit exceeded" (429 with Retry-After), thrown for onError.
 * @throws {RangeError} when built with a negative or fractional limit or a window under 1 ms.
 */
export function rateLimit(options: RateLimitOptions): RateLimitMiddleware {
  const limiter = buildLimiter(options, "rate_limit_requests");
  const handler = async function rateLimit(c: Context<RateLimitEnv>, next: () => Promise<void>) {
    if (!limiter) return await next();
    const ip = c.get("clientIp");
    const d = limiter.hit(clientKey(ip));
    if (d.allowed) return await next();
    report(options, d, "ip", { client_ip: ip, "request.id": c.get("requestId") });
    throw tooManyRequests(d.retryAfterMs);
  };
  return Object.assign(handler, { entries: () => limiter?.size() ?? 0 });
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
   * @throws {TalosOidcError} ERR_RATE_LIMITED when `subject` (scoped by issuer) is over `rate_limit_per_subject`.
   */
  check(c: Context, subject: string, issuer: string): void;
  entries(): number;
}

/** Per-subject limiter (same window as the per-IP one). `requests` 0 → check() always allows. */
export function subjectRateLimit(options: RateLimitOptions): SubjectLimiter {
  const limiter = buildLimiter(options, "rate_limit_per_subject");
  return {
    check(c, subject, issuer) {
      if (!limiter) return;
      const d = limiter.hit(JSON.stringify([issuer, subject]));
      if (d.allowed) return;
      const vars = c.var as Partial<RateLimitEnv["Variables"]>;
      report(options, d, "subject", { subject, issuer, client_ip: vars.clientIp, "request.id": vars.requestId });
      throw tooManyRequests(d.retryAfterMs);
    },
    entries: () => limiter?.size() ?? 0,
  };
}
