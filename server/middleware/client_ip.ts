/** @module Client address: the TCP peer, or X-Forwarded-For read right to left when the peer is a trusted proxy. */

import type { Context, MiddlewareHandler } from "hono";
import { compileIpSet, type IpSet, normaliseIp } from "./ip.ts";

/** Context variables this middleware sets. */
export type ClientIpEnv = { Variables: { clientIp: string } };

/** The value of `clientIp` when the runtime gave no peer address (app.request() without env). */
const UNKNOWN_CLIENT = "unknown";

export interface ClientIpOptions {
  /** IPs and CIDRs (v4 and v6) whose X-Forwarded-For is believed. Default none: XFF ignored. */
  trustedProxies?: readonly string[];
  /** Read the TCP peer address. Default: `c.env.remoteAddr.hostname` (what Deno.serve passes as handler info). */
  peer?: (c: Context) => string | undefined;
  /** Most X-Forwarded-For entries examined, from the right (default 32). */
  maxHops?: number;
}

/** Deno.serve passes `ServeHandlerInfo` as the second fetch argument, which Hono exposes as `c.env`. */
function denoPeer(c: Context): string | undefined {
  const env = c.env as { remoteAddr?: { hostname?: unknown } } | undefined;
  const host = env?.remoteAddr?.hostname;
  return typeof host === "string" ? host : undefined;
}

/**
 * The client address for one request.
 * - Peer not trusted (or no trusted proxies): the peer, whatever headers say.
 * - Peer trusted: walk X-Forwarded-For right to left, skipping trusted entries; the first
 *   untrusted entry is the client. If every entry is trusted, the leftmost one is the client
 *   (a trusted host made the request itself); with no header, the peer.
 * Valid addresses are returned canonical (v4-mapped IPv6 as dotted quad). An unparseable entry
 * is returned sanitised (≤ 64 printable characters) so the allowlist refuses it and the audit
 * log shows it.
 */
export function deriveClientIp(
  peer: string | undefined,
  forwardedFor: string | null | undefined,
  trusted: IpSet,
  maxHops = 32,
): string {
  if (peer === undefined) return UNKNOWN_CLIENT;
  const peerIp = normaliseIp(peer) ?? sanitise(peer);
  if (trusted.size === 0 || !trusted.has(peerIp) || !forwardedFor) return peerIp;
  const entries = forwardedFor.split(",").map((e) => e.trim()).filter(Boolean);
  let client = peerIp;
  for (let i = entries.length - 1, hops = 0; i >= 0 && hops < maxHops; i--, hops++) {
    const ip = normaliseIp(entries[i]!);
    if (ip === undefined) return sanitise(entries[i]!);
    client = ip;
    if (!trusted.has(ip)) return ip;
  }
  return client;
}

function sanitise(text: string): string {
  return text.replace(/[^\x21-\x7e]/g, "?").slice(0, 64);
}

/**
 * Set the `clientIp` context variable, used by the allowlist, the rate limiter and the audit log.
 * @throws {RangeError} when built with an invalid trusted proxy entry.
 */
export function clientIp(options: ClientIpOptions = {}): MiddlewareHandler<ClientIpEnv> {
  const trusted = compileIpSet(options.trustedProxies ?? [], "trusted_proxies");
  const peer = options.peer ?? denoPeer;
  const maxHops = options.maxHops ?? 32;
  if (!Number.isInteger(maxHops) || maxHops < 1) throw new RangeError("clientIp: maxHops must be a positive integer");
  return async function clientIp(c, next) {
    c.set("clientIp", deriveClientIp(peer(c), c.req.header("x-forwarded-for"), trusted, maxHops));
    await next();
  };
}
