/**
 * @module The owner side of `workers: N`: starts the worker threads on the port this thread already listens on
 * (SO_REUSEPORT), answers their state, audit and log calls (owner_handlers.ts), pushes TLS renewals, block list and
 * audit health changes to them, sums their /metrics, and stops and drains them on shutdown.
 */

import { TalosOidcError } from "../../shared/errors.ts";
import { SERVE_WORKER_NAME } from "../../shared/serve_worker.ts";
import type { AuditHealth } from "../audit/types.ts";
import type { SharedDeps } from "../deps.ts";
import { type FamilySnapshot, renderMerged } from "../metrics/registry.ts";
import type { LimitScope } from "../state/types.ts";
import type { PemPair } from "../tls/self_signed.ts";
import { type Channel, createChannel } from "./channel.ts";
import { ownerHandlers } from "./owner_handlers.ts";
import { OWNER_CALLS, type WorkerInit, type WorkerReady } from "./protocol.ts";

/** How often the owner looks at the audit log's and the state store's health, to tell the workers when it changes. */
const HEALTH_POLL_MS = 250;

export interface WorkerPoolOptions {
  count: number;
  /** The module each worker starts from: main.ts, or what it became (the bundle, the binary's main module). */
  entry: string;
  shared: SharedDeps;
  /** The start message minus what differs per worker or comes from `shared`. */
  init: Omit<WorkerInit, "index" | "listen" | "store" | "tls" | "tlsMode" | "auditHealth">;
  /** Where this thread already listens (the workers bind the same port). */
  listen: { hostname: string; port: number };
}

export interface WorkerPool {
  /** Send new TLS material to every worker; resolves once each serves it. */
  pushTls(pair: PemPair): Promise<void>;
  /** Every worker's metrics and this thread's, added up, as exposition text. */
  metricsText(): Promise<string>;
  /** Rejects when a worker thread dies: the process cannot serve its share of connections any more. */
  readonly died: Promise<never>;
  /** Every worker stops accepting; their in-flight requests get `deadlineMs`, then their connections close. */
  stop(deadlineMs: number): Promise<void>;
  /** Wait for every worker's in-flight requests, then end the threads. */
  drain(): Promise<void>;
}

/** Start the workers one after the other; rejects (and ends those started) if one fails to start. */
export async function startWorkerPool(o: WorkerPoolOptions): Promise<WorkerPool> {
  const { shared } = o;
  const workers: { worker: Worker; channel: Channel }[] = [];
  let reportDeath: (err: Error) => void = () => {};
  const died = new Promise<never>((_, reject) => (reportDeath = reject));
  died.catch(() => {}); // observed by whoever awaits it; never an unhandled rejection
  const all = (method: string, ...args: unknown[]) => Promise.all(workers.map((w) => w.channel.call(method, ...args)));
  const snapshots = () => all(OWNER_CALLS.snapshot) as Promise<FamilySnapshot[][]>;
  const metricsText = async () => renderMerged([shared.metrics.snapshot(), ...await snapshots()]);
  const handlers = ownerHandlers(shared, metricsText);
  const limits = (scope: LimitScope) => shared.state.limiter(scope) !== undefined;
  try {
    for (let index = 2; index <= o.count + 1; index++) { // this thread is loop 1
      const worker = new Worker(o.entry, { type: "module", name: `${SERVE_WORKER_NAME} ${index}` });
      const channel = createChannel(worker);
      workers.push({ worker, channel });
      let listening = () => {};
      const heard = new Promise<void>((resolve) => (listening = resolve));
      channel.serve({ ...handlers, [OWNER_CALLS.listening]: () => listening() });
      worker.onerror = (e) => {
        e.preventDefault();
        const err = new TalosOidcError("ERR_INTERNAL", `serve worker ${index} stopped: ${e.message}`);
        channel.close(err);
        shared.logger.error(err.message, { worker: index });
        reportDeath(err);
      };
      const init: WorkerInit = {
        ...o.init,
        index,
        listen: o.listen,
        store: {
          name: shared.state.name,
          limits: { ip: limits("ip"), subject: limits("subject") },
          blocks: shared.state.blocks.snapshot(),
          health: shared.state.health(),
        },
        auditHealth: shared.audit.health(),
        tlsMode: shared.tls.mode,
        ...(shared.tls.current() ? { tls: shared.tls.current() } : {}),
      };
      await Promise.race([heard, died]); // a message sent before the worker listens would be lost
      await Promise.race([channel.call<WorkerReady>("init", init), died]);
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
  // The whole health, not just writable: a worker's /readyz says since when and why, as the owner's does.
  const healthKey = (h: AuditHealth) => h.writable ? "" : `${h.since} ${h.error}`;
  let health = healthKey(shared.audit.health());
  const healthTimer = setInterval(() => {
    const now = shared.audit.health();
    if (healthKey(now) !== health) broadcast(OWNER_CALLS.auditHealth, now), health = healthKey(now);
  }, HEALTH_POLL_MS);
  Deno.unrefTimer(healthTimer);
  const quietly = (method: string, ...args: unknown[]) =>
    Promise.all(workers.map((w) => w.channel.call(method, ...args).catch(() => {})));

  return {
    pushTls: async (pair) => void await all(OWNER_CALLS.tls, pair),
    metricsText,
    died,
    async stop(deadlineMs) {
      clearInterval(healthTimer);
      unsubscribe();
      await quietly(OWNER_CALLS.stop, deadlineMs);
    },
    async drain() {
      await quietly(OWNER_CALLS.drain);
      for (const w of workers) w.worker.terminate();
    },
  };
}
