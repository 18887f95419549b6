/** @module IP allowlist middleware for /exchange: addresses outside the list get 403 before any other work. */

import type { MiddlewareHandler } from "hono";
import { TalosOidcError } from "../../shared/errors.ts";
import type { AuditSink } from "../audit/types.ts";
import { compileIpSet } from "./ip.ts";
import { createSlidingWindow } from "./sliding_window.ts";

export type IpAllowlistEnv = { Variables: { clientIp: string; requestId?: string } };

export interface IpAllowlistOptions {
  /** IPs and CIDRs (v4, v6). Empty = everyone allowed (the middleware passes everything). */
  allow: readonly string[];
  /** Receives `ip_denied`, at most one per address per `auditEveryMs` (default 60 s): a flood cannot fill the disk. */
  audit?: Pick<AuditSink, "write">;
  auditEveryMs?: number;
  metrics?: { ipDenied(): void };
  now?: () => number;
}

/**
 * Refuse clients whose `clientIp` (set by clientIp()) is outside the list: ERR_FORBIDDEN "IP not allowed" (403).
 * Mount it before rateLimit() (the original tool did the reverse, so refused addresses used up slots).
 * @throws {RangeError} naming every invalid entry, when built.
 */
export function ipAllowlist(options: IpAllowlistOptions): MiddlewareHandler<IpAllowlistEnv> {
  const set = compileIpSet(options.allow, "ip_allowlist");
  const throttle = createSlidingWindow({ limit: 1, windowMs: options.auditEveryMs ?? 60_000, now: options.now });
  return async function ipAllowlist(c, next) {
    const ip = c.get("clientIp");
    if (set.size === 0 || set.has(ip)) return await next();
    options.metrics?.ipDenied();
    if (options.audit && throttle.hit(ip).allowed) {
      const requestId = c.get("requestId");
      options.audit.write({
        type: "ip_denied",
        client_ip: ip,
        reason: "client IP not in ip_allowlist",
        ...(requestId ? { "request.id": requestId } : {}),
      });
    }
    throw new TalosOidcError("ERR_FORBIDDEN", "IP not allowed");
  };
}
