/**
 * @module The issuance history, counters and recent failures in Redis/Valkey: what the dashboard and /admin/* show is
 * every replica's, not this one's. Written from the audit stream (never on the request's path: a failed write is
 * logged by the connection, the audit log keeps the event).
 */

import { formatDuration } from "../../shared/duration.ts";
import type { Logger } from "../../shared/log.ts";
import { type CertRecord, parseRecord, recordFromEvent } from "../admin/cert_record.ts";
import { createRecentFailures, type FailureRecord } from "../admin/recent_failures.ts";
import { FAILURE_TYPES, failureOf, type Stats } from "../admin/tracker.ts";
import type { RedisConnection } from "./redis_connection.ts";
import type { History } from "./types.ts";

/** Records kept (as the in-process tracker keeps), newest first. */
const MAX_RECORDS = 10_000;
/** Raw failures kept; the dashboard folds them (repeats, per-source cap) into at most 50 rows. */
const MAX_FAILURES = 200;

/** Counter fields of the stats hash, by audit event type. */
const COUNTED: Readonly<Record<string, string>> = {
  cert_issued: "issued",
  auth_success: "ok",
  auth_failure: "failed",
  cert_error: "certErrors",
  rbac_denied: "rbac",
  rate_limited: "limited",
  ip_denied: "denied",
};

export function createRedisHistory(
  redis: RedisConnection,
  o: { prefix: string; now: () => number; logger: Logger },
): History {
  const k = { stats: `${o.prefix}stats`, roles: `${o.prefix}roles`, certs: `${o.prefix}certs` };
  const failuresKey = `${o.prefix}failures`;
  const startedAt = o.now();
  const quiet = (p: Promise<unknown>) => void p.catch(() => {}); // the connection logs the outage once
  const records = async (): Promise<CertRecord[]> => {
    const raw = await redis.send(["LRANGE", k.certs, 0, MAX_RECORDS - 1]) as string[];
    return raw.map(parseRecord).filter((r): r is CertRecord => r !== undefined);
  };
  const active = (rs: CertRecord[]) => rs.filter((r) => Date.parse(r.expires_at) > o.now());
  return {
    record(e) {
      const field = COUNTED[e.type];
      if (field) quiet(redis.send(["HINCRBY", k.stats, field, e.type === "auth_failure" ? e.count ?? 1 : 1]));
      const rec = recordFromEvent(e);
      if (rec) {
        for (const role of rec.roles) quiet(redis.send(["HINCRBY", k.roles, role, 1]));
        quiet(redis.send(["LPUSH", k.certs, JSON.stringify(rec)]));
        quiet(redis.send(["LTRIM", k.certs, 0, MAX_RECORDS - 1]));
      }
      if (FAILURE_TYPES.has(e.type)) {
        quiet(redis.send(["LPUSH", failuresKey, JSON.stringify(failureOf(e))]));
        quiet(redis.send(["LTRIM", failuresKey, 0, MAX_FAILURES - 1]));
      }
    },
    async stats(): Promise<Stats> {
      const [counts, roles, rs, failures] = await Promise.all([
        redis.send(["HGETALL", k.stats]) as Promise<string[]>,
        redis.send(["HGETALL", k.roles]) as Promise<string[]>,
        records(),
        redis.send(["LRANGE", failuresKey, 0, MAX_FAILURES - 1]) as Promise<string[]>,
      ]);
      const n = pairs(counts);
      const folded = createRecentFailures();
      for (const f of [...failures].reverse()) folded.add(JSON.parse(f) as FailureRecord);
      return {
        started_at: new Date(startedAt).toISOString(),
        uptime: formatDuration(Math.max(0, o.now() - startedAt)),
        total_certs_issued: n.issued ?? 0,
        active_certs: active(rs).length,
        total_auth_successes: n.ok ?? 0,
        total_auth_failures: n.failed ?? 0,
        total_cert_errors: n.certErrors ?? 0,
        unique_users: new Set(rs.map((r) => r.subject)).size,
        certs_by_role: pairs(roles),
        total_rbac_denials: n.rbac ?? 0,
        total_rate_limited: n.limited ?? 0,
        total_ip_denied: n.denied ?? 0,
        recent_failures: folded.list(),
      };
    },
    async certs(options = {}) {
      const rs = await records(); // newest first already
      return options.all ? rs : active(rs);
    },
    async issuanceSeries(bucketMs, buckets) {
      const end = Math.ceil(o.now() / bucketMs) * bucketMs;
      const start = end - bucketMs * buckets;
      const counts = new Array<number>(buckets).fill(0);
      for (const r of await records()) {
        const t = Date.parse(r.issued_at);
        if (t >= start && t < end) counts[Math.floor((t - start) / bucketMs)]!++;
      }
      return counts.map((count, i) => ({ start: new Date(start + i * bucketMs), count }));
    },
  };
}

/** A flat HGETALL reply as numbers by field. */
function pairs(flat: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) out[flat[i]!] = Number(flat[i + 1]);
  return out;
}
