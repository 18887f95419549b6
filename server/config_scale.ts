/** @module Scale-out keys of the server config: worker threads, the shared state store (Redis/Valkey), replica id. */

import { Secret } from "../shared/secret.ts";

/** The most worker threads `workers: auto` starts, whatever the core count. */
export const AUTO_WORKERS_MAX = 8;
/** The most worker threads an explicit `workers: N` may ask for. */
const WORKERS_MAX = 64;

export interface StateStoreConfig {
  /** The URL as given, password included when it carries one. */
  url: Secret;
  /** The URL without its password: what logs, errors and /readyz show. */
  display: string;
  /** rediss:// or valkeys://: TLS to the store. */
  tls: boolean;
  /** File holding the password (state_store_password_file), read at start. */
  passwordFile?: string;
}

export interface ScaleConfig {
  /** Event loops serving HTTP: `auto` = the cores the process may use, at most AUTO_WORKERS_MAX; 1 = no threads. */
  workers: number | "auto";
  /** Shared state for replicas; undefined = everything in this process. */
  stateStore?: StateStoreConfig;
  /** Limits and blocks let requests through while the store is unreachable (default: refuse them, 503). */
  stateStoreFailOpen: boolean;
  /** Names this replica's audit chain (default: the host name, a pod's name in Kubernetes). */
  replicaId?: string;
}

export interface ScaleReaders {
  str(key: string): string | undefined;
  bool(key: string): boolean;
  secret(key: string): Secret | undefined;
  fail(key: string, message: string): void;
}

const SCHEMES: Readonly<Record<string, boolean>> = {
  "redis:": false,
  "rediss:": true,
  "valkey:": false,
  "valkeys:": true,
};

/** Read the scale-out keys; each problem names its key. */
export function parseScale(r: ScaleReaders): ScaleConfig {
  const workersText = r.str("workers") ?? "auto";
  let workers: number | "auto" = "auto";
  if (workersText !== "auto") {
    const n = /^\d+$/.test(workersText) ? Number(workersText) : NaN;
    if (!(n >= 1 && n <= WORKERS_MAX)) {
      r.fail("workers", `"${workersText}" is not "auto" or a number from 1 to ${WORKERS_MAX}`);
    } else workers = n;
  }
  const failOpen = r.bool("state_store_fail_open");
  const url = r.secret("state_store");
  const passwordFile = r.str("state_store_password_file");
  const replicaId = r.str("replica_id");
  if (replicaId !== undefined && !/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/.test(replicaId)) {
    r.fail("replica_id", `"${replicaId}" must be 1-63 letters, digits, ".", "_" or "-" (it names the audit file)`);
  }
  if (passwordFile && !url) r.fail("state_store_password_file", "only applies with state_store set");
  const base = { workers, stateStoreFailOpen: failOpen, ...(replicaId ? { replicaId } : {}) };
  if (!url) return base;
  const parsed = parseStoreUrl(url.reveal());
  if (typeof parsed === "string") return r.fail("state_store", parsed), base;
  return { ...base, stateStore: { url, ...parsed, ...(passwordFile ? { passwordFile } : {}) } };
}

/** Check a store URL; the problem text never repeats the URL (it may hold a password). */
export function parseStoreUrl(text: string): { display: string; tls: boolean } | string {
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    return "is not a URL: use redis://host:6379/0 (or rediss://, valkey://, valkeys://)";
  }
  if (!(u.protocol in SCHEMES)) {
    return `scheme "${u.protocol}" is not redis://, rediss://, valkey:// or valkeys://`;
  }
  if (!u.hostname) return "has no host: use redis://host:6379/0";
  const db = u.pathname.replace(/^\//, "");
  if (db !== "" && !/^\d{1,2}$/.test(db)) return `database "${db}" is not a number (e.g. redis://host:6379/0)`;
  if (u.search || u.hash) return "takes no query or fragment: use redis://[user:password@]host:port/db";
  const display = `${u.protocol}//${u.username ? `${decodeURIComponent(u.username)}@` : ""}${u.host}/${db || "0"}`;
  return { display, tls: SCHEMES[u.protocol]! };
}
