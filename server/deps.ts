/** @module The only place that constructs the server's adapters: verifier, CA issuer, RBAC, audit log, TLS, limiters. */

import { type Clock, systemClock } from "../shared/clock.ts";
import type { Logger } from "../shared/log.ts";
import type { AppDeps } from "./app.ts";
import { type AuditLog, openAuditLog } from "./audit/audit_log.ts";
import { createFailureAggregator, type FailureAggregator } from "./audit/failure_aggregator.ts";
import type { ServerConfig } from "./config.ts";
import { join } from "node:path";
import { openCertStore } from "./admin/cert_store.ts";
import { createMemoryStore } from "./state/memory_store.ts";
import { countJwksRefreshes } from "./metrics/jwks_fetch.ts";
import { createServerMetrics } from "./metrics/server_metrics.ts";
import { createIdTokenVerifier } from "./oidc/verifier.ts";
import { compileRbac } from "./rbac/rbac.ts";
import { createCertIssuer } from "./talos_ca/issuer.ts";
import type { LoadedCa } from "./talos_ca/load.ts";
import type { CertIssuer } from "./talos_ca/types.ts";
import { createTalosApiClient } from "./talos_api/client.ts";
import type { TalosCredential } from "./talos_api/credential.ts";
import { parseEndpoint } from "./talos_api/endpoint.ts";
import { createTalosApiIssuer } from "./talos_api/issuer.ts";
import { createTlsSource, type TlsSource } from "./tls/source.ts";

/** How often ended auth_failure windows are written out (their counts appear at most this late). */
const AUTH_FAILURE_FLUSH_MS = 5_000;

export interface BuildDepsOptions {
  config: Readonly<ServerConfig>;
  /** The Talos CA checked by the config loader (issuer_backend local_ca). */
  ca?: LoadedCa;
  /** The Talos API credential checked by the config loader (issuer_backend talos_api with a talosconfig). */
  talos?: TalosCredential;
  logger: Logger;
  clock?: Clock;
  /** Where `audit_log: -` lines go (the serve command passes its stdout). */
  stdout?: (text: string) => void;
  /** For discovery and JWKS (tests inject one trusting a private CA). */
  fetch?: typeof fetch;
}

/** AppDeps plus what only the process needs: the TLS source and a close() for shutdown. */
export interface ServerDeps extends AppDeps {
  audit: AuditLog;
  authFailures: FailureAggregator;
  tls: TlsSource;
  close(): Promise<void>;
}

/**
 * Build every adapter from the config. Bad values throw at once (TalosOidcError ERR_CONFIG /
 * ERR_TLS / ERR_AUDIT), before anything listens.
 */
export async function buildDeps(options: BuildDepsOptions): Promise<ServerDeps> {
  const { config, logger } = options;
  const clock = options.clock ?? systemClock;
  const metrics = createServerMetrics({ startedAt: clock.now() });
  const verifier = createIdTokenVerifier({
    issuer: config.issuerUrl,
    clientId: config.clientId,
    maxTokenAgeSec: config.maxTokenAgeMs / 1000,
    logger,
    now: () => clock.now(),
    fetch: countJwksRefreshes(options.fetch ?? ((input, init) => fetch(input, init)), metrics),
  });
  const issuer = createIssuer(options, clock);
  const roleMapper = config.rbacRules.length > 0
    ? compileRbac([...config.rbacRules], { defaultRoles: [...config.roles], logger, debug: config.debug })
    : undefined;
  const tls = await createTlsSource(config.tls, config.listen.hostname, logger, clock.now());
  const audit = await openAuditLog({
    path: config.auditLog,
    ...(config.auditHmacKeyFile ? { hmacKeyFile: config.auditHmacKeyFile } : {}),
    ...(options.stdout ? { stdout: options.stdout } : {}),
    now: () => clock.now(),
    logger,
  });
  // Issuance history survives restarts in data_dir/certs.jsonl (0600); without data_dir it is memory only.
  const certStore = config.dataDir
    ? await openCertStore({ path: join(config.dataDir, "certs.jsonl"), logger })
    : undefined;
  const state = createMemoryStore({
    rateLimit: config.rateLimit,
    now: () => clock.now().getTime(),
    ...(certStore ? { history: certStore.loaded, onRecord: certStore.append } : {}),
  });
  audit.subscribe((e) => state.history.record(e));
  metrics.follow(audit);
  metrics.watchLimiter(() => state.limiterEntries());
  // A flood of forged tokens writes one auth_failure line per address and reason per minute, plus one with the count.
  const authFailures = createFailureAggregator({ audit, now: () => clock.now().getTime() });
  const flushTimer = setInterval(() => authFailures.flush(), AUTH_FAILURE_FLUSH_MS);
  Deno.unrefTimer(flushTimer);
  return {
    config,
    logger,
    clock,
    verifier,
    issuer,
    ...(roleMapper ? { roleMapper } : {}),
    audit,
    tls,
    tlsCaPem: () => tls.caPem(),
    state,
    startedAt: clock.now(),
    metrics,
    auditHead: () => audit.lastHash(),
    authFailures,
    close: () => (clearInterval(flushTimer), authFailures.close(), issuer.close(), certStore?.close(), audit.close()),
  };
}

/** The issuing backend the config names: the local CA signer, or the Talos API client (no connection yet). */
function createIssuer(options: BuildDepsOptions, clock: Clock): CertIssuer {
  const { config, logger } = options;
  if (config.issuerBackend === "local_ca") {
    if (!options.ca) throw new TypeError("buildDeps: issuer_backend local_ca needs the loaded CA");
    return createCertIssuer(options.ca);
  }
  const api = config.talosApi;
  if (!api || (api.kind === "talosconfig" && !options.talos)) {
    throw new TypeError("buildDeps: issuer_backend talos_api needs the loaded credential or a socket");
  }
  const now = () => clock.now();
  const client = createTalosApiClient({
    target: api.kind === "socket"
      ? { kind: "socket", path: api.path }
      : { kind: "talosconfig", credential: options.talos!, endpoints: api.endpoints.map((e) => parseEndpoint(e)!) },
    timeoutMs: api.timeoutMs,
    logger,
    now,
  });
  return createTalosApiIssuer({ client, logger, now });
}
