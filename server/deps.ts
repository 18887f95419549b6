/** @module The only place that constructs the server's adapters: verifier, CA issuer, RBAC, audit log, TLS, limiters. */

import { type Clock, elapsedMs, systemClock } from "../shared/clock.ts";
import type { Logger } from "../shared/log.ts";
import type { AppDeps } from "./app.ts";
import type { IdTokenVerifier } from "./oidc/types.ts";
import type { RoleMapper } from "./rbac/types.ts";
import type { StateStore } from "./state/types.ts";
import { type AuditLog, openAuditLog, type TimedEvent } from "./audit/audit_log.ts";
import { SharedChain } from "./audit/shared_chain.ts";
import { readAuditKey } from "./audit/hmac_key.ts";
import { createFailureAggregator, type FailureAggregator } from "./audit/failure_aggregator.ts";
import type { ServerConfig } from "./config.ts";
import { join } from "node:path";
import { openCertStore } from "./admin/cert_store.ts";
import { createMemoryStore } from "./state/memory_store.ts";
import { createRedisStore } from "./state/redis_store.ts";
import { auditPath } from "./audit/replica_path.ts";
import { countJwksRefreshes } from "./metrics/jwks_fetch.ts";
import { createServerMetrics, type ServerMetrics } from "./metrics/server_metrics.ts";
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
  /** Worker threads will write to the audit chain and the issuance history too (workers: N > 1). */
  sharedWriters?: boolean;
}

/** AppDeps plus what only the process needs: the TLS source and a close() for shutdown. */
export interface ServerDeps extends Omit<AppDeps, keyof SharedDeps>, SharedDeps {}

/**
 * What one process holds once, whatever the number of event loops (the owner thread's, with workers): the audit
 * chain, the state store, the metrics the audit stream feeds, the TLS material and the auth-failure aggregator.
 */
export interface SharedDeps {
  config: Readonly<ServerConfig>;
  logger: Logger;
  clock: Clock;
  audit: AuditLog;
  /** The audit chain's head in shared memory, when worker threads append to it as well. */
  auditChain?: SharedChain;
  /** The chain's HMAC key as this thread read it (audit_hmac_key_file), for those worker threads. */
  auditKey?: Uint8Array;
  /**
   * Audit records a worker thread wrote (and, with data_dir history, already appended to certs.jsonl): the tracker,
   * the state store and the metrics hear of them as of this thread's own.
   */
  announceAudit(records: readonly TimedEvent[]): void;
  state: StateStore;
  metrics: ServerMetrics;
  authFailures: FailureAggregator;
  tls: TlsSource;
  startedAt: Date;
  close(): Promise<void>;
}

/** What every event loop builds for itself: the token verifier, the issuing backend and the RBAC rules. */
export interface RequestDeps {
  verifier: IdTokenVerifier;
  issuer: CertIssuer;
  roleMapper?: RoleMapper;
}

/**
 * Build every adapter from the config. Bad values throw at once (TalosOidcError ERR_CONFIG /
 * ERR_TLS / ERR_AUDIT), before anything listens.
 */
export async function buildDeps(options: BuildDepsOptions): Promise<ServerDeps> {
  const shared = await buildSharedDeps(options);
  const request = buildRequestDeps({ ...options, clock: shared.clock, metrics: shared.metrics });
  return {
    ...shared,
    ...request,
    tlsCaPem: () => shared.tls.caPem(),
    auditHead: () => shared.audit.lastHash(),
    close: () => (request.issuer.close(), shared.close()),
  };
}

/** The process-wide part (see SharedDeps). */
export async function buildSharedDeps(options: BuildDepsOptions): Promise<SharedDeps> {
  const { config, logger } = options;
  const clock = options.clock ?? systemClock;
  const metrics = createServerMetrics({ startedAt: clock.now() });
  const tls = await createTlsSource(config.tls, config.listen.hostname, logger, clock.now());
  // Worker threads append to a file chain themselves; `audit_log: -` lines go through this thread's stdout sink.
  const path = auditPath(config);
  const auditChain = options.sharedWriters && path && path !== "-" ? new SharedChain() : undefined;
  const auditKey = config.auditHmacKeyFile ? await readAuditKey(config.auditHmacKeyFile) : undefined;
  const audit = await openAuditLog({
    path,
    ...(auditChain ? { chain: auditChain } : {}),
    ...(auditKey ? { hmacKey: auditKey } : {}),
    ...(options.stdout ? { stdout: options.stdout } : {}),
    now: () => clock.now(),
    logger,
  });
  // Issuance history survives restarts in data_dir/certs.jsonl (0600), or lives in the shared store; else memory only.
  const certStore = config.dataDir && !config.stateStore
    ? await openCertStore({
      path: join(config.dataDir, "certs.jsonl"),
      logger,
      ...(auditChain ? { lock: auditChain } : {}),
    })
    : undefined;
  let fromWorker = false; // a worker appended its records to certs.jsonl itself, before its certificate left
  const now = () => clock.now().getTime();
  // The shared store measures windows and lock-out on the store's own clock (one clock every replica shares; a
  // monotonic clock is per process), the in-process one on elapsed time.
  const state = config.stateStore
    ? await createRedisStore({
      config: config.stateStore,
      rateLimit: config.rateLimit,
      failOpen: config.stateStoreFailOpen,
      now,
      logger,
    })
    : createMemoryStore({
      rateLimit: config.rateLimit,
      now,
      elapsed: () => elapsedMs(clock), // windows and lock-out: a stepped wall clock must not reset or stretch them
      ...(certStore ? { history: certStore.loaded, onRecord: (r) => fromWorker || certStore.append(r) } : {}),
    });
  audit.subscribe((e) => state.history.record(e));
  metrics.follow(audit);
  metrics.watchLimiter(() => state.limiterEntries());
  // A flood of forged tokens writes one auth_failure line per address and reason per minute, plus one with the count.
  const authFailures = createFailureAggregator({ audit, now: () => elapsedMs(clock) });
  const flushTimer = setInterval(() => authFailures.flush(), AUTH_FAILURE_FLUSH_MS);
  Deno.unrefTimer(flushTimer);
  return {
    config,
    logger,
    clock,
    audit,
    ...(auditChain ? { auditChain } : {}),
    ...(auditChain && auditKey ? { auditKey } : {}),
    announceAudit(records) {
      fromWorker = true;
      try {
        audit.announce(records);
      } finally {
        fromWorker = false;
      }
    },
    state,
    metrics,
    authFailures,
    tls,
    startedAt: clock.now(),
    async close() {
      clearInterval(flushTimer);
      authFailures.close();
      await state.close();
      certStore?.close();
      await audit.close();
    },
  };
}

/** The per-event-loop part (see RequestDeps); `metrics` counts this loop's JWKS refreshes. */
export function buildRequestDeps(
  options: Omit<BuildDepsOptions, "clock"> & { clock: Clock; metrics: ServerMetrics },
): RequestDeps {
  const { config, logger, clock } = options;
  const verifier = createIdTokenVerifier({
    issuer: config.issuerUrl,
    clientId: config.clientId,
    maxTokenAgeSec: config.maxTokenAgeMs / 1000,
    removedKeyGraceMs: config.jwksRemovedKeyGraceMs,
    logger,
    now: () => clock.now(),
    elapsed: () => elapsedMs(clock),
    fetch: countJwksRefreshes(options.fetch ?? ((input, init) => fetch(input, init)), options.metrics),
  });
  const issuer = createIssuer(options, clock);
  const roleMapper = config.rbacRules.length > 0
    ? compileRbac([...config.rbacRules], { defaultRoles: [...config.roles], logger, debug: config.debug })
    : undefined;
  return { verifier, issuer, ...(roleMapper ? { roleMapper } : {}) };
}

/** The issuing backend the config names: the local CA signer, or the Talos API client (no connection yet). */
function createIssuer(options: Pick<BuildDepsOptions, "config" | "ca" | "talos" | "logger">, clock: Clock): CertIssuer {
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
