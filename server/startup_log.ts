/** @module What `serve` logs when it starts: which backend issues with which credential, and the settings in force. */

import { formatDuration } from "../shared/duration.ts";
import type { Logger } from "../shared/log.ts";
import type { ServerConfig } from "./config.ts";
import type { LoadedIssuing } from "./loops.ts";
import { SERVICE_ACCOUNT_DIR } from "./talos_api/credential.ts";

/** Which backend issues, and with which credential file or socket (the original tool logs the same). */
export function logIssuing({ config, ca, talos }: LoadedIssuing, logger: Logger): void {
  if (config.issuerBackend === "local_ca" && ca) {
    logger.info(`Issuing with the local Talos CA (issuer_backend local_ca)`);
    logger.info(
      `Talos CA: ${ca.subject} (${ca.keyType}, SHA-256 ${ca.fingerprint}, expires ${ca.notAfter.toISOString()})`,
    );
  } else if (config.talosApi?.kind === "socket") {
    logger.info(`Issuing via Talos API over the machined socket ${config.talosApi.path} (talos-role: os:admin)`);
  } else if (talos) {
    const what = talos.path.startsWith(SERVICE_ACCOUNT_DIR)
      ? `the in-cluster ServiceAccount credential ${talos.path}`
      : `talosconfig ${talos.path}`;
    logger.info(`Issuing via Talos API using ${what}`, {
      context: talos.context,
      roles: talos.roles,
      expires: talos.notAfter.toISOString(),
    });
  }
}

/**
 * A warning when the process's open-file limit leaves too little room above max_connections, else undefined.
 * `limits` is /proc/self/limits. Connections are accepted before the cap closes them, so a burst holds more
 * descriptors than max_connections for a moment; if one accept then fails with EMFILE, the HTTPS listener (node:tls
 * in Deno 2.9.5) stops accepting for good while the process stays up. Room for twice the cap plus 256 (audit log,
 * store, IdP and Talos connections) keeps a burst clear of the limit.
 */
export function openFileLimitWarning(maxConnections: number, limits: string): string | undefined {
  const soft = /^Max open files\s+(\d+|unlimited)\s/m.exec(limits)?.[1];
  if (soft === undefined || soft === "unlimited") return undefined;
  const need = 2 * maxConnections + 256;
  if (Number(soft) >= need) return undefined;
  return `The open-file limit (ulimit -n) is ${soft}, too close to max_connections ${maxConnections}: a burst of ` +
    `connections can use up the process's file descriptors, and the HTTPS listener then stops accepting new ` +
    `connections until a restart. Raise the limit to at least ${need} (LimitNOFILE=65536 in the systemd unit, ` +
    `ulimit -n), or lower max_connections.`;
}

function readProcLimits(): string {
  try {
    return Deno.readTextFileSync("/proc/self/limits");
  } catch {
    return ""; // not Linux, or no read permission there: nothing to say
  }
}

export function logStartup(config: Readonly<ServerConfig>, logger: Logger, workers: number): void {
  const list = (xs: readonly string[]) => `[${xs.join(" ")}]`;
  const count = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;
  logger.info(
    workers > 1
      ? `Workers: ${workers} event loops sharing the port (workers: ${config.workers})`
      : `Workers: 1 event loop (workers: ${config.workers})`,
  );
  const rl = config.rateLimit;
  logger.info(
    rl.requests > 0
      ? `Rate limiting: enabled (${rl.requests} requests per ${formatDuration(rl.windowMs)})`
      : "Rate limiting: disabled",
  );
  logger.info(
    config.ipAllowlist.length > 0
      ? `IP allowlist: enabled (${count(config.ipAllowlist.length, "entry", "entries")})`
      : "IP allowlist: disabled",
  );
  logger.info(
    config.rbacRules.length > 0
      ? `RBAC: enabled (${count(config.rbacRules.length, "rule", "rules")}, default roles: ${list(config.roles)})`
      : `RBAC: disabled (using static roles: ${list(config.roles)})`,
  );
  logger.info(`OIDC issuer: ${config.issuerUrl}`);
  logger.info(`Certificate TTL: ${formatDuration(config.certTtlMs)}`);
  logger.info(`Roles: ${list(config.roles)}`);
  logger.info(`Endpoints: ${list(config.endpoints)}`);
  const fds = openFileLimitWarning(config.maxConnections, readProcLimits());
  if (fds) logger.warn(fds);
}
