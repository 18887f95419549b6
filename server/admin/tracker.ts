/** @module The admin tracker: counters, issuance history and recent failures, fed by the audit stream. */

import { formatDuration } from "../../shared/duration.ts";
import type { AuditEvent, AuditSink } from "../audit/types.ts";
import { type CertRecord, recordFromEvent } from "./cert_record.ts";
import { createRecentFailures, type FailureRecord } from "./recent_failures.ts";
import { createRingBuffer } from "./ring_buffer.ts";

type TimedEvent = AuditEvent & { timestamp: string };

/** A refused exchange or sign-in, as the dashboard lists it. Never carries a token. */
export type { FailureRecord };

/** /admin/stats: the original tool's names first, then additions. */
export interface Stats {
  started_at: string;
  uptime: string;
  total_certs_issued: number;
  active_certs: number;
  total_auth_successes: number;
  total_auth_failures: number;
  total_cert_errors: number;
  /** Distinct subjects in the retained issuance history. */
  unique_users: number;
  /** Certificates issued since start, by role. */
  certs_by_role: Record<string, number>;
  total_rbac_denials: number;
  total_rate_limited: number;
  total_ip_denied: number;
  recent_failures: FailureRecord[];
}

export interface TrackerOptions {
  now?: () => Date;
  /** Records restored from the history file (oldest first). */
  history?: readonly CertRecord[];
  /** Called for each new record (to persist it). */
  onRecord?: (record: CertRecord) => void;
  /** Records kept in memory (default 10,000). */
  maxRecords?: number;
  /** Failures kept for the dashboard (default 50). */
  maxFailures?: number;
}

export interface Tracker {
  observe(event: TimedEvent): void;
  /** Subscribe to an audit sink; returns the unsubscribe function. */
  follow(sink: Pick<AuditSink, "subscribe">): () => void;
  stats(): Stats;
  /** Active certificates (expires_at after now), newest first; `all` = the whole retained history. */
  certs(options?: { all?: boolean }): CertRecord[];
  /** Issuances per bucket for the last `buckets` × `bucketMs`, oldest first (for the chart). */
  issuanceSeries(bucketMs: number, buckets: number): { start: Date; count: number }[];
}

/** Events the dashboard lists as failures. */
export const FAILURE_TYPES: ReadonlySet<string> = new Set([
  "auth_failure",
  "rbac_denied",
  "cert_error",
  "admin_login_failed",
  "admin_auth_failure",
  "subject_blocked",
]);

/** Build a tracker. Pure memory; persistence is the caller's `onRecord`. */
export function createTracker(options: TrackerOptions = {}): Tracker {
  const now = options.now ?? (() => new Date());
  const maxRecords = options.maxRecords ?? 10_000;
  const maxFailures = options.maxFailures ?? 50;
  const startedAt = now();
  // A ring, not an array trimmed with splice(0, 1): that moved all maxRecords entries on every issuance.
  const records = createRingBuffer<CertRecord>(maxRecords, options.history ?? []);
  const failures = createRecentFailures({ max: maxFailures });
  const byRole: Record<string, number> = {};
  const n = { issued: 0, ok: 0, failed: 0, certErrors: 0, rbac: 0, limited: 0, denied: 0 };

  const observe = (e: TimedEvent) => {
    switch (e.type) {
      case "cert_issued": {
        n.issued++;
        for (const r of e.roles ?? []) byRole[r] = (byRole[r] ?? 0) + 1;
        const rec = recordFromEvent(e);
        if (!rec) break;
        records.push(rec);
        options.onRecord?.(rec);
        break;
      }
      case "auth_success":
        n.ok++;
        break;
      case "auth_failure":
        n.failed += e.count ?? 1; // an aggregated line stands for `count` failures
        break;
      case "cert_error":
        n.certErrors++;
        break;
      case "rbac_denied":
        n.rbac++;
        break;
      case "rate_limited":
        n.limited++;
        break;
      case "ip_denied":
        n.denied++;
        break;
    }
    if (FAILURE_TYPES.has(e.type)) failures.add(failureOf(e));
  };

  const active = () => {
    const t = now().getTime();
    return records.toArray().filter((r) => Date.parse(r.expires_at) > t);
  };

  return {
    observe,
    follow: (sink) => sink.subscribe(observe),
    stats: () => ({
      started_at: startedAt.toISOString(),
      uptime: formatDuration(Math.max(0, now().getTime() - startedAt.getTime())),
      total_certs_issued: n.issued,
      active_certs: active().length,
      total_auth_successes: n.ok,
      total_auth_failures: n.failed,
      total_cert_errors: n.certErrors,
      unique_users: new Set(records.toArray().map((r) => r.subject)).size,
      certs_by_role: { ...byRole },
      total_rbac_denials: n.rbac,
      total_rate_limited: n.limited,
      total_ip_denied: n.denied,
      recent_failures: failures.list(),
    }),
    certs: (o = {}) => (o.all ? records.toArray() : active()).reverse().map((r) => ({ ...r, roles: [...r.roles] })),
    issuanceSeries(bucketMs, buckets) {
      const end = Math.ceil(now().getTime() / bucketMs) * bucketMs;
      const start = end - bucketMs * buckets;
      const counts = new Array<number>(buckets).fill(0);
      for (const r of records.toArray()) {
        const t = Date.parse(r.issued_at);
        if (t >= start && t < end) counts[Math.floor((t - start) / bucketMs)]!++;
      }
      return counts.map((count, i) => ({ start: new Date(start + i * bucketMs), count }));
    },
  };
}

/** A failure row from its audit event (never a token). */
export function failureOf(e: TimedEvent): FailureRecord {
  const f: FailureRecord = { timestamp: e.timestamp, type: e.type };
  if (e.subject) f.subject = e.subject;
  if (e.client_ip) f.client_ip = e.client_ip;
  if (e.reason) f.reason = e.reason;
  if (e.error) f.error = e.error;
  if (e.count) f.count = e.count;
  return f;
}
