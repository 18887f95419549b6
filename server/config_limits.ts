/** @module Abuse limits of the server config: connections, request rates and the admin token's strength. */

import type { Secret } from "../shared/secret.ts";

/**
 * Shortest admin_token accepted. The token is the only credential for the dashboard and the admin API; 32 characters
 * of `openssl rand -base64 32` (the suggested way to make one) carry about 190 bits, beyond any guessing the
 * lock-out allows (server/admin/lockout.ts).
 */
export const MIN_ADMIN_TOKEN_LENGTH = 32;

/**
 * /exchange requests per client address per `rate_limit_window` (1 minute) by default. A login costs one exchange and a
 * renewal one more every few minutes (`cert_ttl` 5 m), so a team of ~100 behind one NAT address signing in within the
 * same minute at 9 am makes ~100-150; 300 leaves twice that. A forged-token flood from one address is held to 5/s.
 */
export const DEFAULT_RATE_LIMIT_REQUESTS = 300;

/** Open connections allowed at once by default (TLS handshakes included); more are closed as they arrive. */
export const DEFAULT_MAX_CONNECTIONS = 1024;

export interface Limits {
  /** Most open connections (max_connections). */
  maxConnections: number;
  /** /exchange requests per client IP and per subject within `windowMs`; 0 = off. */
  rateLimit: { readonly requests: number; readonly windowMs: number; readonly perSubject: number };
  adminToken?: Secret;
}

/** What parseLimits() reads the keys with (config.ts's typed readers). */
export interface LimitReaders {
  int(key: string, fallback?: number): number;
  duration(key: string, fallback: string, minMs: number, maxMs: number): number;
  secret(key: string): Secret | undefined;
  fail(key: string, message: string): void;
}

/** Read the limit keys; each problem names its key. */
export function parseLimits(r: LimitReaders): Limits {
  const maxConnections = r.int("max_connections", DEFAULT_MAX_CONNECTIONS);
  if (maxConnections < 1) r.fail("max_connections", "must be at least 1 (it cannot be turned off)");
  const rateLimit = {
    requests: r.int("rate_limit_requests", DEFAULT_RATE_LIMIT_REQUESTS),
    windowMs: r.duration("rate_limit_window", "1m", 1000, 24 * 3_600_000),
    perSubject: r.int("rate_limit_per_subject"),
  };
  const adminToken = r.secret("admin_token");
  const tokenLength = adminToken ? [...adminToken.reveal()].length : 0;
  if (adminToken && tokenLength < MIN_ADMIN_TOKEN_LENGTH) {
    r.fail(
      "admin_token",
      `is ${tokenLength} characters long: use at least ${MIN_ADMIN_TOKEN_LENGTH} random characters, ` +
        "for example the output of `openssl rand -base64 32`",
    );
  }
  return { maxConnections, rateLimit, ...(adminToken ? { adminToken } : {}) };
}
