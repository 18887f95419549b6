/** @module What the owner thread and a serve worker say to each other: the start message and the method names. */

import type { AuditHealth } from "../audit/types.ts";
import type { TalosCredential } from "../talos_api/credential.ts";
import type { RemoteStoreInit } from "../state/remote_store.ts";
import type { PemPair } from "../tls/self_signed.ts";
import type { TlsSource } from "../tls/source.ts";

/** Everything a worker needs to build its app; plain data (it is structured-cloned into the thread). */
export interface WorkerInit {
  index: number;
  /** The config file's decoded document and the environment: the worker parses them exactly as the owner did. */
  input: { file: unknown; env: Readonly<Record<string, string | undefined>> };
  /** The Talos CA's PEM (local_ca), loaded again in the worker. */
  ca?: { certPem: string; keyPem: string };
  /** The Talos API credential (talos_api with a talosconfig). */
  talos?: TalosCredential;
  tlsMode: TlsSource["mode"];
  /** The TLS pair now served (undefined in insecure mode); later ones come through the "tls" call. */
  tls?: PemPair;
  /** The self-signed CA for GET /ca. */
  tlsCaPem?: string;
  /** The port every worker binds (0 for the first worker when the config asks for any free port). */
  listen: { hostname: string; port: number };
  /** This worker's share of max_connections. */
  maxConnections: number;
  /** The owner's audit log health now: writable, or since when and why not (changes come as "audit.health" notes). */
  auditHealth: AuditHealth;
  /** Serve POST /exchange straight off the listener (StartServerOptions.variant). */
  fastExchange: boolean;
  store: RemoteStoreInit;
  /** The audit chain's head in shared memory: the worker appends its own lines under its lock. */
  auditChain?: SharedArrayBuffer;
  /** The chain's HMAC key, as the owner read it (a key file changed since must not split the chain). */
  auditKey?: Uint8Array;
  /** Every loop's connection count (http1/balance.ts); this worker's slot is its index - 1. */
  balance?: SharedArrayBuffer;
  startedAt: Date;
}

/** The worker's answer to `init`: where it listens. */
export interface WorkerReady {
  addr: Deno.NetAddr;
}

/**
 * Method names. Worker → owner: written (lines the worker wrote to the chain itself), missed (events its failed write
 * could not record: the owner's gap line counts them), audit and committed (lines the
 * owner writes: while the chain is unwritable, or without a shared chain), authFailure, log, auditHead, metrics (and
 * STORE_CALLS).
 */
export const OWNER_CALLS = {
  audit: "audit.write",
  written: "audit.written",
  missed: "audit.missed",
  committed: "audit.committed",
  auditHead: "audit.head",
  authFailure: "authFailure",
  log: "log",
  metrics: "metrics",
  listening: "listening",
  // Owner → worker:
  tls: "tls",
  blocks: "blocks",
  health: "health",
  auditHealth: "audit.health",
  snapshot: "metrics.snapshot",
  stop: "stop",
  drain: "drain",
} as const;
