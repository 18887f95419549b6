/**
 * @module The owner thread of `workers: N`: starts N serve workers on one port (SO_REUSEPORT), answers their state,
 * audit and log calls (server/workers/owner_handlers.ts), pushes TLS renewals and block list changes to them, and
 * drains them all on shutdown before the audit log closes.
 */

import { createServer } from "node:net";
import { TalosOidcError } from "../../shared/errors.ts";
import { SERVE_WORKER_NAME } from "../../shared/serve_worker.ts";
import type { SharedDeps } from "../deps.ts";
import type { FamilySnapshot } from "../metrics/registry.ts";
import type { LimitScope } from "../state/types.ts";
import { type Channel, createChannel } from "./channel.ts";
import { ownerHandlers } from "./owner_handlers.ts";
import { OWNER_CALLS, type WorkerInit, type WorkerReady } from "./protocol.ts";

export interface WorkerPoolOptions {
  count: number;
  /** The module each worker starts from: main.ts, or what it became (the bundle, the binary's main module). */
  entry: string;
  shared: SharedDeps;
  /** The start message minus what differs per worker (index, port, share of connections). */
  init: Omit<WorkerInit, "index" | "listen" | "maxConnections" | "store" | "tls" | "tlsMode">;
  listen: { hostname: string; port: number };
  /** How often the TLS source is checked for renewal (default 60 s). */
  tlsCheckIntervalMs?: number;
}

export interface WorkerPool {
  readonly addr: Deno.NetAddr;
  /** Times new TLS material was pushed to the workers. */
  readonly reloads: number;
  /** Check the TLS source now; true when new material went out to every worker. */
  checkNow(): Promise<boolean>;
  /** Rejects when a worker thread dies: the process cannot serve its share of connections any more. */
  readonly died: Promise<never>;
  /**
   * Each worker stops accepting (then `onStopped` runs) and finishes its requests, closing what is left after
   * `deadlineMs`.
   */
  shutdown(deadlineMs: number, onStopped?: () => void): Promise<void>;
}

/** Start the workers one after the other on one port; rejects (and stops those started) if one fails to start. */
export async function startWorkerPool(o: WorkerPoolOptions): Promise<WorkerPool> {
  const { shared } = o;
  if (o.listen.port !== 0) await checkPortFree(o.listen.hostname, o.listen.port);
  const workers: { worker: Worker; channel: Channel }[] = [];
  let reportDeath: (err: Error) => void = () => {};
  const died = new Promise<never>((_, reject) => (reportDeath = reject));
  died.catch(() => {}); // observed by whoever awaits it; never an unhandled rejection
  const snapshots = () => Promise.all(workers.map((w) => w.channel.call<FamilySnapshot[]>(OWNER_CALLS.snapshot)));
  const limits = (scope: LimitScope) => shared.state.limiter(scope) !== undefined;
  let addr: Deno.NetAddr | undefined;
  try {
    for (let index = 0; index < o.count; index++) {
      const worker = new Worker(o.entry, { type: "module", name: `${SERVE_WORKER_NAME} ${index + 1}` });
      const channel = createChannel(worker);
      let listening = () => {};
      const heard = new Promise<void>((resolve) => (listening = resolve));
      channel.serve({ ...ownerHandlers(shared, snapshots), [OWNER_CALLS.listening]: () => listening() });
      workers.push({ worker, channel });
      worker.onerror = (e) => {
        e.preventDefault();
        const err = new TalosOidcError("ERR_INTERNAL", `serve worker ${index + 1} stopped: ${e.message}`);
        channel.close(err);
        shared.logger.error(err.message, { worker: index + 1 });
        reportDeath(err);
      };
      const init: WorkerInit = {
        ...o.init,
        index: index + 1,
        listen: { hostname: o.listen.hostname, port: addr?.port ?? o.listen.port },
        maxConnections: Math.max(1, Math.ceil(shared.config.maxConnections / o.count)),
        store: {
          name: shared.state.name,
          limits: { ip: limits("ip"), subject: limits("subject") },
          blocks: shared.state.blocks.snapshot(),
          health: shared.state.health(),
        },
        tlsMode: shared.tls.mode,
        ...(shared.tls.current() ? { tls: shared.tls.current() } : {}),
      };
      await Promise.race([heard, died]);
      const ready = await Promise.race([channel.call<WorkerReady>("init", init), died]);
      addr ??= ready.addr;
    }
  } catch (err) {
    await Promise.all(workers.map((w) => w.channel.call(OWNER_CALLS.drain).catch(() => {})));
    for (const w of workers) w.worker.terminate();
    throw err;
  }
  const broadcast = (method: string, ...args: unknown[]) => {
    for (const w of workers) w.channel.note(method, ...args);
  };
  const unsubscribe = shared.state.blocks.subscribe((s) => broadcast(OWNER_CALLS.blocks, s));

  let reloads = 0, stopping = false;
  let checking: Promise<boolean> | undefined;
  const checkNow = (): Promise<boolean> => {
    if (stopping) return Promise.resolve(false);
    checking ??= (async () => {
      try {
        if (!(await shared.tls.refresh(shared.clock.now())) || stopping) return false;
        await Promise.all(workers.map((w) => w.channel.call(OWNER_CALLS.tls, shared.tls.current())));
        reloads++;
        return true;
      } finally {
        checking = undefined;
      }
    })();
    return checking;
  };
  const timer = shared.tls.mode === "insecure"
    ? undefined
    : setInterval(() => void checkNow().catch(() => {}), o.tlsCheckIntervalMs ?? 60_000);

  return {
    addr: addr!,
    get reloads() {
      return reloads;
    },
    checkNow,
    died,
    async shutdown(deadlineMs, onStopped) {
      stopping = true;
      if (timer !== undefined) clearInterval(timer);
      const all = (method: string, ...args: unknown[]) =>
        Promise.all(workers.map((w) => w.channel.call(method, ...args).catch(() => {})));
      await all(OWNER_CALLS.stop, deadlineMs);
      onStopped?.();
      await checking?.catch(() => {});
      unsubscribe();
      await all(OWNER_CALLS.drain);
      for (const w of workers) w.worker.terminate();
    },
  };
}

/**
 * Refuse a port someone already listens on. Every worker binds with SO_REUSEPORT, which the kernel would also grant
 * next to another instance of this server run by the same user, splitting the traffic silently between the two.
 */
async function checkPortFree(hostname: string, port: number): Promise<void> {
  const inUse = await new Promise<boolean>((resolve) => {
    const probe = createServer();
    probe.once("error", () => resolve(true));
    probe.listen({ port, host: hostname, exclusive: true }, () => probe.close(() => resolve(false)));
  });
  if (inUse) {
    throw new TalosOidcError("ERR_CONFIG", `listen ${hostname}:${port}: address already in use`, {
      hint: "another process (perhaps another talosctl-oidc serve) listens there: stop it or pick another port",
    });
  }
}
