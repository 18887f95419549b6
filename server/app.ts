/**
 * @module The server's composition root: the `serve` command (config → adapters → event loops, shut down on a
 * signal) and the app every loop serves: what the handlers get (AppDeps), middleware order and the route table.
 */

import { Hono, type MiddlewareHandler } from "hono";
import { defineCommand, EXIT } from "../shared/cli.ts";
import type { Clock } from "../shared/clock.ts";
import { describeCauses, isTalosOidcError } from "../shared/errors.ts";
import { jsonLogger, type Logger, textLogger } from "../shared/log.ts";
import { MAX_EXCHANGE_BODY } from "../shared/protocol.ts";
import type { FailureAggregator } from "./audit/failure_aggregator.ts";
import { auditPath } from "./audit/replica_path.ts";
import type { AuditSink } from "./audit/types.ts";
import type { ServerConfig } from "./config.ts";
import { loadServerConfig } from "./config_loader.ts";
import { buildRequestDeps, buildSharedDeps } from "./deps.ts";
import { methodNotAllowed, notFound, onError, requestId } from "./errors_http.ts";
import {
  type LoadedIssuing,
  type Loops,
  type RunningServer,
  startLoops,
  type StartServerOptions,
  workerCount,
} from "./loops.ts";
import type { ServerMetrics } from "./metrics/server_metrics.ts";
import { bodyLimit } from "./middleware/body_limit.ts";
import { clientIp } from "./middleware/client_ip.ts";
import { httpMetrics } from "./middleware/http_metrics.ts";
import { ipAllowlist } from "./middleware/ip_allowlist.ts";
import { rateLimit } from "./middleware/rate_limit.ts";
import type { IdTokenClaims, IdTokenVerifier } from "./oidc/types.ts";
import type { RoleMapper } from "./rbac/types.ts";
import { adminApiRoutes } from "./routes/admin_api.ts";
import { BLOCK_MAX_BODY } from "./routes/admin_blocks.ts";
import { ADMIN_FORM_MAX_BODY, adminDashboardRoutes } from "./routes/admin_dashboard.tsx";
import { caRoute } from "./routes/ca.ts";
import { exchangeRoute } from "./routes/exchange.ts";
import { type FastRoute, fastRoute } from "./routes/exchange_fast.ts";
import { healthzRoute } from "./routes/healthz.ts";
import { metricsRoutes } from "./routes/metrics.ts";
import { readyChecks, readyzRoute } from "./routes/readyz.ts";
import type { Awaitable, StateStore } from "./state/types.ts";
import { logIssuing, logStartup } from "./startup_log.ts";
import type { CertIssuer } from "./talos_ca/types.ts";

export const serveCommand = defineCommand(
  {
    name: "serve",
    usage: "talosctl-oidc serve [-c config.yaml]",
    description: `
Every configuration key can be set in the YAML file or through a non-empty TALOSCTL_OIDC_<KEY> environment
variable, which wins over the file (lists comma-separated). Required: issuer_url, client_id, endpoints and an
issuing backend (issuer_backend: local_ca when a CA is configured, else talos_api):
  talos_api  Talos mints the certificates (GenerateClientConfiguration); this server holds no CA key. Credential:
             talos_config (a talosconfig whose certificate has os:admin), else $TALOSCONFIG (set by a talos.dev
             ServiceAccount), else ~/.talos/config; or talos_socket (the machined socket, extension only).
             Calls go to endpoints (host[:port], port 50000), failing over; talos_api_timeout per call (5s).
  local_ca   this server signs with the Talos OS CA: talos_secrets, or ca_cert + ca_key, or ca_cert_data +
             ca_key_data.
Also required: rbac.rules or roles (roles: [os:admin] grants everyone admin on purpose). Unknown keys in the file
are refused. Defaults: listen :8443, cert_ttl 5m (1m..24h), max_token_age 24h (longest ID-token lifetime
accepted), max_connections 1024 (open connections at once), rate_limit_requests 300 per rate_limit_window 1m per
client IP (0 = off), audit_log - (stdout), self-signed TLS (kept in data_dir; its CA is served at GET /ca).
Environment: TALOSCTL_OIDC_ISSUER_URL, _CLIENT_ID, _ENDPOINTS, _NODES, _LISTEN, _CERT_TTL, _MAX_TOKEN_AGE,
_JWKS_REMOVED_KEY_GRACE (how long a key gone from the IdP's JWKS still verifies, default 0s), _ROLES,
_ISSUER_BACKEND, _TALOS_CONFIG, _TALOS_SOCKET, _TALOS_API_ENDPOINTS, _TALOS_API_TIMEOUT, _TALOS_SECRETS, _CA_CERT,
_CA_KEY, _CA_CERT_DATA, _CA_KEY_DATA, _TLS_CERT, _TLS_KEY, _TLS_SAN, _INSECURE, _DATA_DIR, _AUDIT_LOG,
_AUDIT_HMAC_KEY_FILE, _ADMIN_TOKEN, _METRICS_TOKEN, _RATE_LIMIT_REQUESTS, _RATE_LIMIT_WINDOW,
_RATE_LIMIT_PER_SUBJECT, _IP_ALLOWLIST, _TRUSTED_PROXIES, _MAX_CONNECTIONS, _WORKERS, _STATE_STORE,
_STATE_STORE_PASSWORD_FILE, _STATE_STORE_FAIL_OPEN, _REPLICA_ID, _LOG_FORMAT (json, the default, or text: every
log line, configuration problems included); TALOSCONFIG; DEBUG=1 for debug logs.
workers (default auto: the cores this process may use, at most 8) event loops share the port; state_store
(redis://, rediss://, valkey://) lets replicas share limits, sessions, history and the block list (docs/scaling.md).
Problems with the configuration are all listed at once and exit with status 2.`,
    flags: [{
      name: "config",
      short: "c",
      type: "string",
      env: "TALOSCTL_OIDC_CONFIG",
      arg: "PATH",
      description: "path to the YAML configuration file",
    }],
    examples: [
      "talosctl-oidc serve -c /etc/talosctl-oidc/config.yaml",
      "TALOSCTL_OIDC_ISSUER_URL=https://auth.example.com TALOSCTL_OIDC_CLIENT_ID=talosctl \\",
      "  TALOSCTL_OIDC_ENDPOINTS=10.0.0.10 TALOSCTL_OIDC_TALOS_CONFIG=./talosctl-oidc.talosconfig talosctl-oidc serve",
    ],
  },
  async (ctx, args) => {
    const loaded = await loadServerConfig({ path: args.values.config, env: ctx.env });
    const json = loaded.config.logFormat === "json";
    const write = (line: string) => ctx.stdio.stderr(line + "\n");
    const logger = json
      ? jsonLogger({ level: ctx.env.DEBUG ? "debug" : "info", write })
      : textLogger({ verbose: Boolean(ctx.env.DEBUG), write });
    for (const w of loaded.warnings) logger.warn(`config: ${w}`);
    if (loaded.problems.length > 0) {
      const n = loaded.problems.length, what = `invalid configuration (${n} problem${n === 1 ? "" : "s"})`;
      const hint =
        `fix the keys above in the config file or their environment variables; see "talosctl-oidc serve --help"`;
      if (json) logger.error(what, { problems: loaded.problems, hint: hint.replace("above", "in problems") });
      else ctx.stdio.stderr(`error: ${what}:\n${loaded.problems.map((p) => `  - ${p}\n`).join("")}hint: ${hint}\n`);
      return EXIT.USAGE;
    }
    logger.info(loaded.source);
    let server: RunningServer;
    try {
      server = await startServer(loaded, {
        logger,
        stdout: ctx.stdio.stdout,
        ...(ctx.entry ? { workerEntry: ctx.entry } : {}),
      });
    } catch (err) {
      if (!json || !isTalosOidcError(err)) throw err; // main.ts prints it (and a bug's stack with -v)
      logger.error(err.message, {
        code: err.code,
        ...(err.hint ? { hint: err.hint } : {}),
        causes: describeCauses(err),
      });
      return err.code === "ERR_CONFIG" || err.code === "ERR_USAGE" ? EXIT.USAGE : EXIT.FAILURE;
    }
    const died = await Promise.race([abortion(ctx.signal), server.died.catch((err: Error) => err)]);
    await server.close(() =>
      logger.info(died ? "A worker thread stopped, shutting down..." : "Received signal, shutting down...")
    );
    if (died) return EXIT.FAILURE;
    logger.info("Server stopped gracefully.");
    return EXIT.OK;
  },
);

/** Build the adapters and the app, start listening, log the startup lines, warm up the JWKS in the background. */
export async function startServer(loaded: LoadedIssuing, options: StartServerOptions): Promise<RunningServer> {
  const { config } = loaded;
  const { logger } = options;
  logIssuing(loaded, logger);
  const workers = workerCount(config.workers);
  if (workers > 1 && !loaded.input) throw new TypeError("startServer: worker threads need loaded.input");
  const sharedWriters = workers > 1 && options.variant?.workersWriteAudit !== false;
  const shared = await buildSharedDeps({ ...options, ...loaded, sharedWriters });
  const path = auditPath(config);
  logger.info(path === "-" ? "Audit log: stdout" : `Audit log: ${path}`);
  if (config.stateStore) logger.info(`State store: ${config.stateStore.display}`);
  logStartup(config, logger, workers);
  const request = buildRequestDeps({ ...options, ...loaded, clock: shared.clock, metrics: shared.metrics });
  let running: Loops;
  try {
    running = await startLoops(loaded, shared, request, options, workers, createServing);
  } catch (err) {
    request.issuer.close();
    await shared.close();
    throw err;
  }
  const { addr } = running.listener;
  const host = addr.hostname === "0.0.0.0"
    ? "127.0.0.1"
    : addr.hostname.includes(":")
    ? `[${addr.hostname}]`
    : addr.hostname;
  const url = `${shared.tls.mode === "insecure" ? "http" : "https"}://${host}:${addr.port}`;
  logger.info(`Cert exchange server listening on ${addr.hostname}:${addr.port}`, { url, port: addr.port, workers });
  let closing: Promise<void> | undefined;
  const close = (onStopped?: () => void) => (closing ??= running.close(onStopped));
  return { url, addr, deps: { ...shared, ...request }, workers, ...running, close };
}

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
  return createServing(deps).app;
}

/**
 * The app, and POST /exchange as the listener serves it without the app (routes/exchange_fast.ts): the same
 * middleware instances in the same order, so both paths share their state (the allowlist's audit throttle) and code.
 */
export function createServing(deps: AppDeps): Serving {
  const { config } = deps;
  const app = new Hono<AppEnv>();
  const ids = requestId(), ip = clientIp({ trustedProxies: config.trustedProxies });
  const allow = ipAllowlist({ allow: config.ipAllowlist, audit: deps.audit, metrics: deps.metrics });
  const limit = rateLimit({ limiter: deps.state.limiter("ip"), audit: deps.audit, metrics: deps.metrics });
  const bodies = bodyLimit({ limits: BODY_LIMITS }), exchange = exchangeRoute(deps);
  const chain = [ids, ip, allow, limit, bodies, exchange] as MiddlewareHandler[];

  // 1. Every request: counted (metrics), an id (for logs, audit and 500 bodies), then the client address.
  if (deps.metrics) app.use("*", httpMetrics({ metrics: deps.metrics }));
  app.use("*", ids, ip);

  // 2. /exchange guards: allowlist first (refused addresses use no rate-limit slot), then the per-IP limit.
  app.use("/exchange", allow, limit);

  // 3. Body limits, before any route reads a byte: over the route's limit (or any body where it takes none) → 413.
  app.use("*", bodies);

  // 4. Route table: each path answers its method(s); any other method is a 405 JSON.
  app.post("/exchange", exchange);
  app.all("/exchange", methodNotAllowed("POST"));
  app.get("/healthz", healthzRoute());
  app.all("/healthz", methodNotAllowed("GET"));
  app.get("/ca", caRoute(deps.tlsCaPem));
  app.all("/ca", methodNotAllowed("GET"));
  app.get("/readyz", readyzRoute({ checks: readyChecks(deps) }));
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
  const errors = onError(deps.logger);
  app.onError(errors);
  return { app, exchange: fastRoute({ path: "/exchange", chain, onError: errors, metrics: deps.metrics }) };
}

/** What a loop serves: the app, and POST /exchange for the listener's fast path. */
export interface Serving {
  app: Hono<AppEnv>;
  exchange: FastRoute;
}

function abortion(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));
}
