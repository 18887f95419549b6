/** @module The `serve` command: load config (exit 2 on any problem), build deps, listen, shut down gracefully on a signal. */

import { defineCommand, EXIT } from "../shared/cli.ts";
import type { Clock } from "../shared/clock.ts";
import { formatDuration } from "../shared/duration.ts";
import { jsonLogger, type Logger } from "../shared/log.ts";
import type { ServerConfig } from "./config.ts";
import { loadServerConfig } from "./config_loader.ts";
import { buildRequestDeps, buildSharedDeps, type RequestDeps, type SharedDeps } from "./deps.ts";
import { auditPath } from "./audit/replica_path.ts";
import { type Loops, startLoops, workerCount } from "./loops.ts";
import type { LoadedCa } from "./talos_ca/load.ts";
import { SERVICE_ACCOUNT_DIR, type TalosCredential } from "./talos_api/credential.ts";
import type { Listener } from "./tls/listener.ts";

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
_STATE_STORE_PASSWORD_FILE, _STATE_STORE_FAIL_OPEN, _REPLICA_ID; TALOSCONFIG; DEBUG=1 for debug logs.
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
    const logger = jsonLogger({
      level: ctx.env.DEBUG ? "debug" : "info",
      write: (line) => ctx.stdio.stderr(line + "\n"),
    });
    const loaded = await loadServerConfig({ path: args.values.config, env: ctx.env });
    for (const w of loaded.warnings) logger.warn(`config: ${w}`);
    if (loaded.problems.length > 0) {
      const n = loaded.problems.length;
      ctx.stdio.stderr(`error: invalid configuration (${n} problem${n === 1 ? "" : "s"}):\n`);
      for (const p of loaded.problems) ctx.stdio.stderr(`  - ${p}\n`);
      ctx.stdio.stderr(
        `hint: fix the keys above in the config file or their environment variables; see "talosctl-oidc serve --help"\n`,
      );
      return EXIT.USAGE;
    }
    logger.info(loaded.source);
    const server = await startServer(loaded, {
      logger,
      stdout: ctx.stdio.stdout,
      ...(ctx.entry ? { workerEntry: ctx.entry } : {}),
    });
    const died = await Promise.race([abortion(ctx.signal), server.died.catch((err: Error) => err)]);
    await server.close(() =>
      logger.info(died ? "A worker thread stopped, shutting down..." : "Received signal, shutting down...")
    );
    if (died) return EXIT.FAILURE;
    logger.info("Server stopped gracefully.");
    return EXIT.OK;
  },
);

export interface StartServerOptions {
  logger: Logger;
  /**
   * The module worker threads start from (workers > 1): the process's entry (main.ts, the bundle or the binary's
   * main module). Default: main.ts of this source tree.
   */
  workerEntry?: string;
  stdout?: (text: string) => void;
  clock?: Clock;
  fetch?: typeof fetch;
  /** How often TLS material is checked for renewal/reload (default 60 s). */
  tlsCheckIntervalMs?: number;
}

export interface RunningServer {
  /** Base URL for local clients, e.g. https://127.0.0.1:8443. */
  url: string;
  addr: Deno.NetAddr;
  /** The process-wide adapters and this thread's own verifier, issuer and RBAC (every worker thread has its own). */
  deps: SharedDeps & RequestDeps;
  /** Event loops serving HTTP (1: this thread; more: worker threads sharing the port). */
  workers: number;
  listener: Pick<Listener, "addr" | "reloads" | "checkNow">;
  /** Rejects when a worker thread dies (the serve command then stops with an error); never settles with one loop. */
  died: Promise<never>;
  /**
   * Stop accepting (then `onStopped` runs), finish in-flight requests (at most 10 s), close the audit log. Calling
   * it again returns the same promise.
   */
  close(onStopped?: () => void): Promise<void>;
}

/** What the config loader checked: the CA (local_ca) or the Talos API credential (talos_api with a talosconfig). */
export interface LoadedIssuing {
  config: Readonly<ServerConfig>;
  /** The decoded config file and the environment it was parsed from: worker threads parse them again. */
  input?: { file: unknown; env: Readonly<Record<string, string | undefined>> };
  ca?: LoadedCa;
  talos?: TalosCredential;
}

/** Build the adapters and the app, start listening, log the startup lines, warm up the JWKS in the background. */
export async function startServer(loaded: LoadedIssuing, options: StartServerOptions): Promise<RunningServer> {
  const { config } = loaded;
  const { logger } = options;
  logIssuing(loaded, logger);
  const workers = workerCount(config.workers);
  if (workers > 1 && !loaded.input) throw new TypeError("startServer: worker threads need loaded.input");
  const shared = await buildSharedDeps({ ...options, ...loaded });
  const path = auditPath(config);
  logger.info(path === "-" ? "Audit log: stdout" : `Audit log: ${path}`);
  if (config.stateStore) logger.info(`State store: ${config.stateStore.display}`);
  logStartup(config, logger, workers);
  const request = buildRequestDeps({ ...options, ...loaded, clock: shared.clock, metrics: shared.metrics });
  let running: Loops;
  try {
    running = await startLoops(loaded, shared, request, options, workers);
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

/** Which backend issues, and with which credential file or socket (the original tool logs the same). */
function logIssuing({ config, ca, talos }: LoadedIssuing, logger: Logger): void {
  if (config.issuerBackend === "local_ca" && ca) {
    logger.info(`Issuing with the local Talos CA (issuer_backend local_ca)`);
    logger.info(
      `Talos CA: ${ca.subject} (${ca.keyType}, SHA-256 ${ca.fingerprint}, expires ${ca.notAfter.toISOString()})`,
    );
  } else if (config.talosApi?.kind === "socket") {
    logger.info(`Issuing via Talos API over the machined socket ${config.talosApi.path} (talos-role: os:admin)`);
  } else if (talos) {
    const what = talos.path.startsWith(SERVICE_ACCOUNT_DIR)
      ? `the in-cluster ServiceAccount credential ${talos.path}`
      : `talosconfig ${talos.path}`;
    logger.info(`Issuing via Talos API using ${what}`, {
      context: talos.context,
      roles: talos.roles,
      expires: talos.notAfter.toISOString(),
    });
  }
}

function logStartup(config: Readonly<ServerConfig>, logger: Logger, workers: number): void {
  const list = (xs: readonly string[]) => `[${xs.join(" ")}]`;
  logger.info(
    workers > 1
      ? `Workers: ${workers} event loops sharing the port (workers: ${config.workers})`
      : `Workers: 1 event loop (workers: ${config.workers})`,
  );
  const rl = config.rateLimit;
  logger.info(
    rl.requests > 0
      ? `Rate limiting: enabled (${rl.requests} requests per ${formatDuration(rl.windowMs)})`
      : "Rate limiting: disabled",
  );
  logger.info(
    config.ipAllowlist.length > 0
      ? `IP allowlist: enabled (${config.ipAllowlist.length} entries)`
      : "IP allowlist: disabled",
  );
  logger.info(
    config.rbacRules.length > 0
      ? `RBAC: enabled (${config.rbacRules.length} rules, default roles: ${list(config.roles)})`
      : `RBAC: disabled (using static roles: ${list(config.roles)})`,
  );
  logger.info(`OIDC issuer: ${config.issuerUrl}`);
  logger.info(`Certificate TTL: ${formatDuration(config.certTtlMs)}`);
  logger.info(`Roles: ${list(config.roles)}`);
  logger.info(`Endpoints: ${list(config.endpoints)}`);
}

function abortion(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));
}
