/** @module Composition root of the HTTP app: what the handlers get (AppDeps), middleware order and the route table. */

import { Hono } from "hono";
import type { Clock } from "../shared/clock.ts";
import type { Logger } from "../shared/log.ts";
import type { FailureAggregator } from "./audit/failure_aggregator.ts";
import type { AuditSink } from "./audit/types.ts";
import type { ServerConfig } from "./config.ts";
import { methodNotAllowed, notFound, onError, requestId } from "./errors_http.ts";
import { MAX_EXCHANGE_BODY } from "../shared/protocol.ts";
import { bodyLimit } from "./middleware/body_limit.ts";
import { clientIp } from "./middleware/client_ip.ts";
import { ipAllowlist } from "./middleware/ip_allowlist.ts";
import { rateLimit } from "./middleware/rate_limit.ts";
import { httpMetrics } from "./middleware/http_metrics.ts";
import type { ServerMetrics } from "./metrics/server_metrics.ts";
import { adminApiRoutes } from "./routes/admin_api.ts";
import { BLOCK_MAX_BODY } from "./routes/admin_blocks.ts";
import { ADMIN_FORM_MAX_BODY, adminDashboardRoutes } from "./routes/admin_dashboard.tsx";
import { metricsRoutes } from "./routes/metrics.ts";
import { readyzRoute } from "./routes/readyz.ts";
import type { IdTokenClaims, IdTokenVerifier } from "./oidc/types.ts";
import type { RoleMapper } from "./rbac/types.ts";
import { caRoute } from "./routes/ca.ts";
import { exchangeRoute } from "./routes/exchange.ts";
import { healthzRoute } from "./routes/healthz.ts";
import type { CertIssuer } from "./talos_ca/types.ts";
import type { Awaitable, StateStore } from "./state/types.ts";
import { auditPath } from "./audit/replica_path.ts";

/** Context variables, set by middleware in the order below. */
export interface AppVariables {
  /** Fresh per request (requestId()); also the X-Request-Id response header. */
  requestId: string;
  /** Client address (clientIp(): the peer, or X-Forwarded-For behind a trusted proxy). */
  clientIp: string;
  /** Verified ID token claims, set by /exchange once the token passed. */
  claims?: IdTokenClaims;
}

/** `c.env` is the handler info the listener passes (remoteAddr, the Deno.serve shape); app.request() tests may omit it. */
export type AppEnv = { Variables: AppVariables; Bindings: Partial<Deno.ServeHandlerInfo<Deno.NetAddr>> };

/**
 * Everything the routes and middleware use, built once by server/deps.ts. Extend it with optional
 * fields for new adapters (metrics, admin sessions, ...); state that must be shared by every request
 * (rate-limit tables, stats) lives in these objects, never in module globals.
 */
export interface AppDeps {
  config: Readonly<ServerConfig>;
  logger: Logger;
  clock: Clock;
  verifier: IdTokenVerifier;
  issuer: CertIssuer;
  /** RBAC rules compiled; undefined = no rules, the static `roles` apply. */
  roleMapper?: RoleMapper;
  audit: AuditSink;
  /** The self-signed TLS CA PEM for GET /ca (undefined in provided/insecure TLS mode). */
  tlsCaPem: () => string | undefined;
  /**
   * The one source of truth for rate-limit windows, admin sessions and lock-outs, the issuance history and the block
   * list: this process's memory, the owner thread (workers), or Redis/Valkey (replicas).
   */
  state: StateStore;
  startedAt: Date;
  /** Prometheus metrics (GET /metrics); fed by httpMetrics(), the limiters and the audit stream. */
  metrics?: ServerMetrics;
  /** The audit chain head (AuditLog.lastHash), shown in /admin/stats as audit_head. */
  auditHead?: () => Awaitable<string>;
  /** The /metrics text when it is not `metrics.render()` (workers: every thread's registry, summed by the owner). */
  metricsText?: () => Awaitable<string>;
  /** Where /exchange reports refused tokens: one line per address and reason per window (else straight to audit). */
  authFailures?: Pick<FailureAggregator, "report">;
}

/** Bytes of request body each route takes; every other path takes none (a body there is refused unread). */
const BODY_LIMITS: Readonly<Record<string, number>> = Object.freeze({
  "/exchange": MAX_EXCHANGE_BODY,
  "/admin/login": ADMIN_FORM_MAX_BODY,
  "/admin/logout": ADMIN_FORM_MAX_BODY,
  "/admin/blocks": BLOCK_MAX_BODY,
  "/admin/block": ADMIN_FORM_MAX_BODY,
  "/admin/unblock": ADMIN_FORM_MAX_BODY,
});

/**
 * Build the app. Order matters: request id → client IP → per-route guards → body limits → handler → 405/404/500.
 * Nothing before the handler reads the body (the listener streams it lazily), so a refused client sends it in vain.
 */
export function createApp(deps: AppDeps): Hono<AppEnv> {
  const { config } = deps;
  const app = new Hono<AppEnv>();

  // 1. Every request: counted (metrics), an id (for logs, audit and 500 bodies), then the client address.
  if (deps.metrics) app.use("*", httpMetrics({ metrics: deps.metrics }));
  app.use("*", requestId());
  app.use("*", clientIp({ trustedProxies: config.trustedProxies }));

  // 2. /exchange guards: allowlist first (refused addresses use no rate-limit slot), then the per-IP limit.
  app.use("/exchange", ipAllowlist({ allow: config.ipAllowlist, audit: deps.audit, metrics: deps.metrics }));
  app.use("/exchange", rateLimit({ limiter: deps.state.limiter("ip"), audit: deps.audit, metrics: deps.metrics }));

  // 3. Body limits, before any route reads a byte: over the route's limit (or any body where it takes none) → 413.
  app.use("*", bodyLimit({ limits: BODY_LIMITS }));

  // 4. Route table: each path answers its method(s); any other method is a 405 JSON.
  app.post("/exchange", exchangeRoute(deps));
  app.all("/exchange", methodNotAllowed("POST"));
  app.get("/healthz", healthzRoute());
  app.all("/healthz", methodNotAllowed("GET"));
  app.get("/ca", caRoute(deps.tlsCaPem));
  app.all("/ca", methodNotAllowed("GET"));
  const backendReady = () => deps.issuer.ready();
  const ready = {
    [deps.issuer.backend === "local_ca" ? "ca" : "talos_api"]: backendReady,
    oidc: () => {
      const out = deps.verifier.outage();
      if (!out) return deps.verifier.ready();
      const serving = out.fetchedAt ? `; serving with the keys fetched at ${out.fetchedAt.toISOString()}` : "";
      return {
        ok: deps.verifier.ready(),
        detail: `the issuer is unreachable since ${out.since.toISOString()}: ${out.error}${serving}`,
      };
    },
    audit: () => {
      const h = deps.audit.health();
      return h.writable ? true : { ok: false, detail: `cannot be written since ${h.since}: ${h.error}` };
    },
  };
  const store = deps.state;
  const storeCheck = () => {
    const h = store.health();
    if (h.ok) return true;
    return config.stateStoreFailOpen
      ? { ok: true, detail: `${h.detail}; state_store_fail_open: limits and blocks are not enforced` }
      : { ok: false, detail: `${h.detail}; /exchange refuses requests until it is back` };
  };
  app.get("/readyz", readyzRoute({ checks: store.name === "memory" ? ready : { ...ready, state_store: storeCheck } }));
  app.all("/readyz", methodNotAllowed("GET"));
  if (deps.metrics) {
    const metrics = deps.metricsText ? { render: deps.metricsText } : deps.metrics;
    app.route("/", metricsRoutes({ metrics, token: config.metricsToken }));
  }
  if (config.adminToken) { // without admin_token every /admin path stays 404
    // One lock-out for the dashboard sign-in and the bearer API: a guesser cannot switch paths to keep guessing.
    const { lockout, sessions, history: tracker } = deps.state;
    const admin = { token: config.adminToken, tracker, lockout, audit: deps.audit, sessions };
    const now = () => deps.clock.now().getTime();
    app.route("/admin", adminApiRoutes({ ...admin, auditHead: deps.auditHead, blocks: deps.state.blocks, now }));
    const secureCookie = config.tls.mode !== "insecure";
    const dashboard = { ...admin, auditLogPath: auditPath(config), secureCookie, blocks: deps.state.blocks, now };
    app.route("/", adminDashboardRoutes(dashboard));
  }

  // 5. Everything else.
  app.notFound(notFound);
  app.onError(onError(deps.logger));
  return app;
}
