/**
 * @module The event loops `serve` runs: one on this thread, and with `workers: N` N - 1 worker threads sharing the
 * port while this thread owns the state, the audit chain and the TLS material (server/workers/).
 */

import { createApp } from "./app.ts";
import { AUTO_WORKERS_MAX } from "./config_scale.ts";
import type { RequestDeps, SharedDeps } from "./deps.ts";
import type { LoadedIssuing, RunningServer, StartServerOptions } from "./serve.ts";
import type { LoadedCa } from "./talos_ca/load.ts";
import { startListener } from "./tls/listener.ts";
import { checkPortFree, startWorkerPool, type WorkerPool } from "./workers/owner.ts";

/** How long in-flight requests get to finish once shutdown starts; then their connections are closed. */
const SHUTDOWN_DEADLINE_MS = 10_000;

/** What a started set of loops gives serve.ts (which adds url, addr, deps and the worker count). */
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
): Promise<Loops> {
  const { config, logger } = shared;
  if (count > 1 && config.listen.port !== 0) await checkPortFree(config.listen.hostname, config.listen.port);
  const app = createApp({
    ...shared,
    ...request,
    tlsCaPem: () => shared.tls.caPem(),
    auditHead: () => shared.audit.lastHash(),
    ...(count > 1 ? { metricsText: () => pool!.metricsText() } : {}),
  });
  let pool: WorkerPool | undefined;
  const listener = await startListener({
    hostname: config.listen.hostname,
    port: config.listen.port,
    reusePort: count > 1,
    handler: (req, info) => app.fetch(req, info),
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
          startedAt: shared.startedAt,
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
