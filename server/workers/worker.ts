/**
 * @module One serve worker thread: its own verifier, issuer and app, listening on the port every worker shares
 * (SO_REUSEPORT: the kernel spreads connections). The state store, the audit chain and the logs are the owner's.
 */

import { join } from "node:path";
import { systemClock } from "../../shared/clock.ts";
import { openCertAppender } from "../admin/cert_store.ts";
import { recordFromEvent } from "../admin/cert_record.ts";
import { openAuditLog } from "../audit/audit_log.ts";
import { errorText } from "../audit/audit_record.ts";
import { auditPath } from "../audit/replica_path.ts";
import { SharedChain } from "../audit/shared_chain.ts";
import type { ServerConfig } from "../config.ts";
import { type Level, type Logger, redact } from "../../shared/log.ts";
import { createServing } from "../app.ts";
import type { AuditEvent, AuditHealth, AuditSink } from "../audit/types.ts";
import { parseConfig } from "../config.ts";
import { buildRequestDeps } from "../deps.ts";
import { createServerMetrics } from "../metrics/server_metrics.ts";
import { createRemoteStore } from "../state/remote_store.ts";
import { loadTalosCa } from "../talos_ca/load.ts";
import { type Listener, startListener } from "../http1/listener.ts";
import type { PemPair } from "../tls/self_signed.ts";
import type { TlsSource } from "../tls/source.ts";
import { type Channel, createChannel, type Pipe } from "./channel.ts";
import { OWNER_CALLS, type WorkerInit, type WorkerReady } from "./protocol.ts";

/** Serve the owner's `init` call on this thread's own pipe (the worker's global scope). */
export function runServeWorker(scope: Pipe): void {
  const channel = createChannel(scope);
  channel.serve({ init: (init: WorkerInit) => start(init, channel) });
  // Messages that reach a worker before it listens are dropped (its module was still loading): say when it listens.
  channel.note(OWNER_CALLS.listening);
}

async function start(init: WorkerInit, channel: Channel): Promise<WorkerReady> {
  const { config } = parseConfig(init.input.file, init.input.env);
  const logger = forwardingLogger(channel, init.index, config.debug);
  const metrics = createServerMetrics({ startedAt: init.startedAt });
  const ca = init.ca ? await loadTalosCa(init.ca) : undefined;
  const request = buildRequestDeps({
    config,
    logger,
    clock: systemClock,
    metrics,
    ...(ca ? { ca } : {}),
    ...(init.talos ? { talos: init.talos } : {}),
  });
  const state = createRemoteStore(channel, init.store);
  const audit = init.auditChain
    ? await chainedAudit(channel, config, init, init.auditChain, logger)
    : remoteAudit(channel, init.auditHealth);
  const { app, exchange } = createServing({
    ...request,
    config,
    logger,
    clock: systemClock,
    audit,
    state,
    startedAt: init.startedAt,
    metrics,
    tlsCaPem: () => init.tlsCaPem,
    auditHead: () => channel.call<string>(OWNER_CALLS.auditHead),
    authFailures: { report: (e) => channel.note(OWNER_CALLS.authFailure, e) },
    metricsText: () => channel.call<string>(OWNER_CALLS.metrics),
  });
  const tls = pushedTls(init.tlsMode, init.tls);
  let listener: Listener;
  try {
    listener = await startListener({
      hostname: init.listen.hostname,
      port: init.listen.port,
      reusePort: true,
      ...(init.balance ? { balance: { buffer: init.balance, index: init.index - 1 } } : {}),
      handler: (req, info) => app.fetch(req, info),
      ...(init.fastExchange ? { fast: exchange } : {}),
      maxConnections: init.maxConnections,
      tls,
      logger,
      checkIntervalMs: 2 ** 31 - 1, // the owner checks and pushes new material ("tls" below)
    });
  } catch (err) {
    request.issuer.close();
    throw err;
  }
  let draining: Promise<void> | undefined;
  // Each worker warms its own key cache; /readyz on this worker waits for it.
  const warm = request.verifier.warmUp().then((ok) => {
    if (ok) logger.info("OIDC issuer keys loaded (JWKS warm-up)");
    else logger.warn("OIDC issuer keys could not be loaded yet; tokens are refused until the issuer answers");
  });
  channel.serve({
    [OWNER_CALLS.tls]: (pair: PemPair) => (tls.push(pair), listener.checkNow()),
    [OWNER_CALLS.blocks]: state.setBlocks,
    [OWNER_CALLS.health]: state.setHealth,
    [OWNER_CALLS.auditHealth]: audit.setHealth,
    [OWNER_CALLS.snapshot]: () => metrics.snapshot(),
    // Two steps, so the owner knows when no worker accepts any more (new connections are refused from then on).
    [OWNER_CALLS.stop]: (deadlineMs: number) => void (draining ??= stop(listener, deadlineMs)),
    [OWNER_CALLS.drain]: async () => {
      await (draining ??= stop(listener, 0));
      await warm.catch(() => {});
      request.issuer.close();
      await audit.close();
    },
  });
  return { addr: listener.addr };
}

/** Stop accepting, let in-flight requests finish; past the deadline, close their connections. */
async function stop(listener: Listener, deadlineMs: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<"timeout">((r) => (timer = setTimeout(() => r("timeout"), deadlineMs)));
  const stopped = listener.shutdown();
  const result = await Promise.race([stopped, deadline]);
  clearTimeout(timer);
  if (result === "timeout") {
    listener.closeAll();
    await stopped;
  }
}

/**
 * Audit events go to the owner's one chain, in the order sent; committed() waits until the owner has them in the log
 * (and fails with its ERR_AUDIT when it could not write them). health() is the owner's, as last pushed.
 */
function remoteAudit(channel: Channel, health: AuditHealth): AuditSink & { setHealth(h: AuditHealth): void } {
  return {
    write: (event) => channel.note(OWNER_CALLS.audit, event),
    committed: () => channel.call<void>(OWNER_CALLS.committed),
    health: () => health, // as of the owner's last note (notRecorded: as of then)
    subscribe: () => () => {}, // the owner's listeners (history, metrics) see every worker's events
    close: () => Promise.resolve(),
    setHealth: (h) => void (health = h),
  };
}

/**
 * This thread's own lines on the process's one chain (the owner's file, the head in shared memory, under its lock):
 * no call to the owner before a certificate leaves. With data_dir history a certificate's record is appended to
 * certs.jsonl here too, before it leaves; the owner hears of every line afterwards ("written": its tracker, state
 * store and metrics). While the chain is unwritable (a failed write, the owner's gap) events go to the owner, which
 * writes or counts them, and committed() waits for the owner as well.
 */
async function chainedAudit(
  channel: Channel,
  config: Readonly<ServerConfig>,
  init: Pick<WorkerInit, "auditHealth" | "auditKey">,
  buffer: SharedArrayBuffer,
  logger: Logger,
): Promise<AuditSink & { setHealth(h: AuditHealth): void }> {
  const chain = new SharedChain(buffer);
  const owner = remoteAudit(channel, init.auditHealth);
  let forwarded = 0, confirmed = 0;
  const forward = (e: AuditEvent) => (forwarded++, owner.write(e));
  const local = await openAuditLog({
    path: auditPath(config),
    ...(init.auditKey ? { hmacKey: init.auditKey } : {}),
    chain,
    logger,
    // Those requests are refused (ERR_AUDIT): their events are counted in the owner's gap line, not written.
    onWriteFailed: (records, err) => channel.note(OWNER_CALLS.missed, records.map((r) => r.type), errorText(err)),
  });
  const history = config.dataDir && !config.stateStore
    ? await openCertAppender({ path: join(config.dataDir, "certs.jsonl"), logger, lock: chain })
    : undefined;
  local.subscribe((e) => {
    if (history && e.type === "cert_issued") {
      const rec = recordFromEvent(e);
      if (rec) history.append(rec);
    }
    channel.note(OWNER_CALLS.written, [e]);
  });
  return {
    write: (e) => chain.healthy ? local.write(e) : forward(e),
    async committed() {
      await local.committed();
      if (forwarded === confirmed) return;
      const upTo = forwarded;
      await owner.committed();
      confirmed = Math.max(confirmed, upTo);
    },
    health: owner.health,
    subscribe: () => () => {}, // the owner's listeners hear of every line ("written")
    async close() {
      await local.close();
      history?.close();
    },
    setHealth: owner.setHealth,
  };
}

/** Log lines go to the owner's logger (tagged with the worker), redacted here before they cross. */
function forwardingLogger(channel: Channel, index: number, debug: boolean): Logger {
  const emit = (level: Level) => (msg: string, fields?: Record<string, unknown>) => {
    if (level === "debug" && !debug) return;
    channel.note(OWNER_CALLS.log, level, msg, { worker: index, ...(redact(fields ?? {}) as object) });
  };
  return { debug: emit("debug"), info: emit("info"), warn: emit("warn"), error: emit("error") };
}

/** TLS material the owner hands over; refresh() says whether a new pair came since the last check. */
function pushedTls(mode: TlsSource["mode"], first: PemPair | undefined): TlsSource & { push(p: PemPair): void } {
  let pair = first, fresh = false;
  return {
    mode,
    current: () => pair,
    caPem: () => undefined,
    refresh: () => Promise.resolve(fresh ? !(fresh = false) : false),
    push: (p) => void (pair = p, fresh = true),
  };
}
