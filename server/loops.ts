/**
 * @module The event loops `serve` runs: one on this thread, and with `workers: N` N - 1 worker threads sharing the
 * port while this thread owns the state, the audit chain and the TLS material (server/workers/).
 */

import { balanceBuffer } from "./http1/balance.ts";
import type { Clock } from "../shared/clock.ts";
import type { Logger } from "../shared/log.ts";
import type { AppDeps, Serving } from "./app.ts";
import type { ServerConfig } from "./config.ts";
import { AUTO_WORKERS_MAX } from "./config_scale.ts";
import type { RequestDeps, SharedDeps } from "./deps.ts";
import type { LoadedCa } from "./talos_ca/load.ts";
import type { TalosCredential } from "./talos_api/credential.ts";
import { type Listener, startListener } from "./http1/listener.ts";
import { checkPortFree } from "./http1/port.ts";
import { startWorkerPool, type WorkerPool } from "./workers/owner.ts";

/** How long in-flight requests get to finish once shutdown starts; then their connections are closed. */
const SHUTDOWN_DEADLINE_MS = 10_000;

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
  /** Turn a fast path off, for the bench's A/B rows (tests/bench/variant_server.ts); both on by default. */
  variant?: ServeVariant;
}

/** Each optimisation the bench measures on its own: off means the earlier way. */
export interface ServeVariant {
  /** POST /exchange straight off the listener (routes/exchange_fast.ts); off: through the Hono app. */
  fastExchange?: boolean;
  /** Another listener in place of server/http1/'s (the bench's node:http one); one event loop only. */
  listener?: typeof startListener;
  /** Worker threads append to the audit chain themselves (audit/shared_chain.ts); off: they send events to the owner. */
  workersWriteAudit?: boolean;
  /** Loops even out their keep-alive connections (http1/balance.ts); off: each keeps what the kernel gave it. */
  balance?: boolean;
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

/** What a started set of loops gives app.ts startServer (which adds url, addr, deps and the worker count). */
export type Loops = Omit<RunningServer, "url" | "addr" | "deps" | "workers">;

/**
 * The event loops: one on this thread (the app with the process's own state and audit log), plus `count - 1` worker
 * threads on the same port (SO_REUSEPORT) that ask this thread for every state decision and write through its chain.
 * This thread serving too keeps one JS thread per core and half the requests free of any cross-thread hop.
 */
export async function startLoops(
  loaded: LoadedIssuing,
  shared: SharedDeps,
  request: RequestDeps,
  options: StartServerOptions,
  count: number,
  /** What this thread serves (app.ts createServing, passed in: this file does not import app.ts back). */
  createServing: (deps: AppDeps) => Serving,
): Promise<Loops> {
  const { config, logger } = shared;
  if (count > 1 && config.listen.port !== 0) await checkPortFree(config.listen.hostname, config.listen.port);
  const { app, exchange } = createServing({
    ...shared,
    ...request,
    tlsCaPem: () => shared.tls.caPem(),
    auditHead: () => shared.audit.lastHash(),
    ...(count > 1 ? { metricsText: () => pool!.metricsText() } : {}),
  });
  let pool: WorkerPool | undefined;
  const balance = count > 1 && options.variant?.balance !== false ? balanceBuffer(count) : undefined;
  if (options.variant?.listener && count > 1) throw new RangeError("a bench variant's listener runs with workers: 1");
  const listener = await (options.variant?.listener ?? startListener)({
    hostname: config.listen.hostname,
    port: config.listen.port,
    reusePort: count > 1,
    ...(balance ? { balance: { buffer: balance, index: 0 } } : {}),
    handler: (req, info) => app.fetch(req, info),
    ...(options.variant?.fastExchange === false ? {} : { fast: exchange }),
    maxConnections: Math.max(1, Math.ceil(config.maxConnections / count)),
    tls: shared.tls,
    logger,
    now: () => shared.clock.now(),
    onReload: (pair) => pool?.pushTls(pair),
    ...(options.tlsCheckIntervalMs ? { checkIntervalMs: options.tlsCheckIntervalMs } : {}),
  });
  const warm = request.verifier.warmUp().then((ok) => {
    if (ok) logger.info("OIDC issuer keys loaded (JWKS warm-up)");
    else logger.warn("OIDC issuer keys could not be loaded yet; tokens are refused until the issuer answers");
  });
  try {
    if (count > 1) {
      pool = await startWorkerPool({
        count: count - 1,
        entry: options.workerEntry ?? new URL("../main.ts", import.meta.url).href,
        shared,
        listen: { hostname: config.listen.hostname, port: listener.addr.port },
        init: {
          input: loaded.input!,
          ...(loaded.ca ? { ca: caPems(loaded.ca) } : {}),
          ...(loaded.talos ? { talos: loaded.talos } : {}),
          ...(shared.tls.caPem() ? { tlsCaPem: shared.tls.caPem() } : {}),
          maxConnections: Math.max(1, Math.ceil(config.maxConnections / count)),
          ...(shared.auditChain ? { auditChain: shared.auditChain.buffer } : {}),
          ...(balance ? { balance } : {}),
          ...(shared.auditKey ? { auditKey: shared.auditKey } : {}),
          startedAt: shared.startedAt,
          fastExchange: options.variant?.fastExchange !== false,
        },
      });
    }
  } catch (err) {
    listener.closeAll();
    await listener.shutdown();
    throw err;
  }
  return {
    listener,
    died: pool?.died ?? new Promise<never>(() => {}),
    async close(onStopped) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const deadline = new Promise<"timeout">((r) => (timer = setTimeout(() => r("timeout"), SHUTDOWN_DEADLINE_MS)));
      const stopped = listener.shutdown(); // this thread accepts nothing more from here on
      await pool?.stop(SHUTDOWN_DEADLINE_MS); // nor do the workers
      onStopped?.();
      const result = await Promise.race([stopped, deadline]);
      clearTimeout(timer);
      if (result === "timeout") {
        logger.warn("in-flight requests did not finish within 10s; closing their connections");
        listener.closeAll();
        await stopped;
      }
      await pool?.drain(); // every worker's requests answered: their audit lines are in the chain
      await warm;
      request.issuer.close();
      await shared.close();
    },
  };
}

/** The loaded CA as PEM again, for a worker to load (the key never leaves the process). */
function caPems(ca: LoadedCa): { certPem: string; keyPem: string } {
  return { certPem: ca.certPem, keyPem: ca.signingKey.export({ type: "pkcs8", format: "pem" }) as string };
}

/** `workers: auto` is the cores this process may use (affinity and cgroup quota), at most AUTO_WORKERS_MAX. */
export function workerCount(setting: number | "auto", cores = navigator.hardwareConcurrency): number {
  return setting === "auto" ? Math.max(1, Math.min(AUTO_WORKERS_MAX, cores)) : setting;
}
