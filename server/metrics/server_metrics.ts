/** @module The server's talosctl_oidc_* metrics, fed by the HTTP middleware, the limiters and the audit stream. */

import { ISSUABLE_ROLES } from "../../shared/roles.ts";
import type { AuditEvent, AuditSink } from "../audit/types.ts";
import type { InvalidTokenReason } from "../oidc/types.ts";
import { type FamilySnapshot, type Histogram, Registry } from "./registry.ts";

const P = "talosctl_oidc_";

/** Token failure reasons used as label values; anything else is counted as "other" (bounded cardinality). */
const TOKEN_FAILURE_REASONS = [
  "malformed",
  "alg_not_allowed",
  "unknown_kid",
  "bad_signature",
  "issuer_mismatch",
  "audience_mismatch",
  "azp_mismatch",
  "expired",
  "not_yet_valid",
  "missing_claim",
  "not_id_token",
  "lifetime_too_long",
  "jwks_unavailable",
] as const satisfies readonly InvalidTokenReason[];

/**
 * Seconds. An exchange is a JWKS lookup, a signature check and one certificate signature: ~0.3 ms when all is well,
 * so the buckets start below a millisecond (starting at 5 ms would put every healthy exchange in the first one).
 */
const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export interface ServerMetricsOptions {
  /** Current number of rate-limiter entries (per-IP table), read at scrape time. */
  limiterEntries?: () => number;
  /** Process start, for talosctl_oidc_start_time_seconds (default now). */
  startedAt?: Date;
}

export interface ServerMetrics {
  readonly registry: Registry;
  /** One finished HTTP request; `route` is the registered pattern, never the raw URL. */
  request(route: string, method: string, status: number, seconds: number): void;
  rateLimited(scope: "ip" | "subject"): void;
  ipDenied(): void;
  /** A discovery + JWKS refresh attempt finished. */
  jwksRefresh(outcome: "success" | "failure"): void;
  /** Count what the audit stream says: certificates by role, token failures by reason, denials, admin logins. */
  observeAudit(event: AuditEvent): void;
  /** Read the per-IP limiter's table size at scrape time (set once the limiter exists). */
  watchLimiter(entries: () => number): void;
  /** Subscribe `observeAudit` to a sink; returns the unsubscribe function. */
  follow(sink: Pick<AuditSink, "subscribe">): () => void;
  render(): string;
  /** The registry as plain data, for a worker thread to send the owner (renderMerged adds them up). */
  snapshot(): FamilySnapshot[];
}

/** Build the metric set. Nothing global: each server gets its own registry. */
export function createServerMetrics(options: ServerMetricsOptions = {}): ServerMetrics {
  const r = new Registry();
  const requests = r.counter(`${P}http_requests_total`, "HTTP requests by route pattern, method and status", [
    "route",
    "method",
    "status",
  ]);
  const latency: Histogram = r.histogram(
    `${P}exchange_duration_seconds`,
    "Time to answer POST /exchange, any outcome",
    LATENCY_BUCKETS,
  );
  const certs = r.counter(`${P}certs_issued_total`, "Client certificates issued, by role (one per role carried)", [
    "role",
  ]);
  const failures = r.counter(`${P}token_validation_failures_total`, "ID tokens refused, by reason", ["reason"]);
  const jwks = r.counter(`${P}jwks_refreshes_total`, "Issuer discovery + JWKS refreshes, by outcome", ["outcome"]);
  const limited = r.counter(`${P}rate_limited_total`, "Requests refused with 429, by limiter", ["scope"]);
  const denied = r.counter(`${P}ip_denied_total`, "Requests refused because the client IP is not allowlisted");
  const rbacDenied = r.counter(`${P}rbac_denied_total`, "Valid tokens that no RBAC rule granted a role");
  const certErrors = r.counter(`${P}cert_errors_total`, "Certificate signing failures");
  const logins = r.counter(`${P}admin_logins_total`, "Admin dashboard sign-ins, by outcome", ["outcome"]);
  let limiterEntries = options.limiterEntries ?? (() => 0);
  r.gauge(`${P}rate_limiter_entries`, "Clients currently tracked by the per-IP rate limiter", () => limiterEntries());
  const started = (options.startedAt ?? new Date()).getTime() / 1000;
  r.gauge(`${P}start_time_seconds`, "Unix time the server started", () => started);

  for (const role of ISSUABLE_ROLES) certs.inc({ role }, 0);
  for (const scope of ["ip", "subject"]) limited.inc({ scope }, 0);
  for (const outcome of ["success", "failure"]) {
    jwks.inc({ outcome }, 0);
    logins.inc({ outcome }, 0);
  }
  for (const c of [denied, rbacDenied, certErrors]) c.inc({}, 0);

  const reasons = new Set<string>(TOKEN_FAILURE_REASONS);
  const counterFor: Partial<Record<AuditEvent["type"], (e: AuditEvent) => void>> = {
    cert_issued: (e) => (e.roles ?? []).forEach((role) => certs.inc({ role: boundedRole(role) })),
    auth_failure: (e) => failures.inc({ reason: e.reason && reasons.has(e.reason) ? e.reason : "other" }, e.count ?? 1),
    rbac_denied: () => rbacDenied.inc(),
    cert_error: () => certErrors.inc(),
    admin_login: () => logins.inc({ outcome: "success" }),
    admin_login_failed: () => logins.inc({ outcome: "failure" }),
  };
  const m: ServerMetrics = {
    registry: r,
    request(route, method, status, seconds) {
      requests.inc({ route, method: boundedMethod(method), status: String(status) });
      if (route === "/exchange" && method === "POST") latency.observe(seconds);
    },
    rateLimited: (scope) => limited.inc({ scope }),
    ipDenied: () => denied.inc(),
    jwksRefresh: (outcome) => jwks.inc({ outcome }),
    observeAudit: (e) => counterFor[e.type]?.(e),
    watchLimiter: (entries) => void (limiterEntries = entries),
    follow: (sink) => sink.subscribe((e) => m.observeAudit(e)),
    render: () => r.render(),
    snapshot: () => r.snapshot(),
  };
  return m;
}

function boundedRole(role: string): string {
  return (ISSUABLE_ROLES as readonly string[]).includes(role) ? role : "other";
}

const METHODS = new Set(["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"]);
function boundedMethod(method: string): string {
  return METHODS.has(method) ? method : "OTHER";
}
