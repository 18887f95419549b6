/** @module The audit file of one replica: replicas sharing a state store each keep a chain of their own. */

import type { ServerConfig } from "../config.ts";

/**
 * Where this process writes its audit chain. Replicas sharing a state store each keep their own chain, so the file
 * name carries the replica id (replica_id, default the host name): `audit.jsonl` → `audit.<id>.jsonl`, or
 * `{replica}` in the path replaced. stdout is a stream of its own per replica already.
 */
export function auditPath(
  config: Readonly<Pick<ServerConfig, "auditLog" | "stateStore" | "replicaId">>,
  host = () => Deno.hostname(),
): string {
  const path = config.auditLog;
  if (path === "-" || !path || !config.stateStore) return path;
  const id = (config.replicaId ?? host()).replace(/[^A-Za-z0-9._-]/g, "_");
  if (path.includes("{replica}")) return path.replaceAll("{replica}", id);
  const slash = path.lastIndexOf("/"), dot = path.lastIndexOf(".");
  return dot > slash + 1 ? `${path.slice(0, dot)}.${id}${path.slice(dot)}` : `${path}.${id}`;
}
