/**
 * @module The event loops `serve` runs: one on this thread (`workers: 1`), or N worker threads sharing the port while
 * this thread owns the state, the audit chain and the TLS material (server/workers/).
 */

import { createApp } from "./app.ts";
import { AUTO_WORKERS_MAX } from "./config_scale.ts";
import type { RequestDeps, SharedDeps } from "./deps.ts";
import type { LoadedIssuing, RunningServer, StartServerOptions } from "./serve.ts";
import type { LoadedCa } from "./talos_ca/load.ts";
import { startListener } from "./tls/listener.ts";
import { startWorkerPool } from "./workers/owner.ts";

/** How long in-flight requests get to finish once shutdown starts; then their connections are closed. */
export const SHUTDOWN_DEADLINE_MS = 10_000;

/** What a started set of loops gives serve.ts (which adds url, addr, deps and the worker count). */
export type Loops = Omit<RunningServer, "url" | "addr" | "deps" | "workers">;

/** One event loop: the app and the listener on this thread (`workers: 1`). */
export async function startOneLoop(
  shared: SharedDeps,
  request: RequestDeps,
  options: StartServerOptions,
): Promise<Loops> {
  const { config, logger } = shared;
  const app = createApp({
    ...shared,
    ...request,
    tlsCaPem: () => shared.tls.caPem(),
    auditHead: () => shared.audit.lastHash(),
  });
  const listener = await startListener({
    hostname: config.listen.hostname,
    port: config.listen.port,
    handler: (req, info) => app.fetch(req, info),
    maxConnections: config.maxConnections,
    tls: shared.tls,
    logger,
    now: () => shared.clock.now(),
    ...(options.tlsCheckIntervalMs ? { checkIntervalMs: options.tlsCheckIntervalMs } : {}),
  });
  const warm = request.verifier.warmUp().then((ok) => {
    if (ok) logger.info("OIDC issuer keys loaded (JWKS warm-up)");
    else logger.warn("OIDC issuer keys could not be loaded yet; tokens are refused until the issuer answers");
  });
  return {
    listener,
    died: new Promise<never>(() => {}),
    async close(onStopped) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const deadline = new Promise<"timeout">((r) => (timer = setTimeout(() => r("timeout"), SHUTDOWN_DEADLINE_MS)));
      const stopped = listener.shutdown();
      onStopped?.();
      const result = await Promise.race([stopped, deadline]);
      clearTimeout(timer);
      if (result === "timeout") {
        logger.warn("in-flight requests did not finish within 10s; closing their connections");
        listener.closeAll();
        await stopped;
      }
      await warm;
      request.issuer.close();
      await shared.close();
    },
  };
}

/** N worker threads on one port; this thread owns the state, the audit chain and the TLS material. */
export async function startWorkers(
  loaded: LoadedIssuing,
  shared: SharedDeps,
  options: StartServerOptions,
  count: number,
): Promise<Loops> {
  const { config } = shared;
  const pool = await startWorkerPool({
    count,
    entry: options.workerEntry ?? new URL("../main.ts", import.meta.url).href,
    shared,
    listen: { hostname: config.listen.hostname, port: config.listen.port },
    init: {
      input: loaded.input!,
      ...(loaded.ca ? { ca: caPems(loaded.ca) } : {}),
      ...(loaded.talos ? { talos: loaded.talos } : {}),
      ...(shared.tls.caPem() ? { tlsCaPem: shared.tls.caPem() } : {}),
      startedAt: shared.startedAt,
    },
    ...(options.tlsCheckIntervalMs ? { tlsCheckIntervalMs: options.tlsCheckIntervalMs } : {}),
  });
  return {
    listener: pool,
    died: pool.died,
    async close(onStopped) {
      await pool.shutdown(SHUTDOWN_DEADLINE_MS, onStopped);
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
