/** @module One audit line's record (the original tool's field order, free text redacted), and the gap line's. */

import { redactText } from "../../shared/log.ts";
import type { AuditEvent } from "./types.ts";

export type TimedEvent = AuditEvent & { timestamp: string };

/** Events that could not be written since `since`: summed up in one `audit_gap` line once writing works again. */
export interface Gap {
  since: Date;
  error: string;
  total: number;
  counts: Record<string, number>;
}

export function countMissed(g: Gap, type: string): void {
  g.total++;
  g.counts[type] = (g.counts[type] ?? 0) + 1;
}

/** The line that closes a gap: how many events, of which types, were not recorded, from when, and why. */
export function gapEvent(g: Gap): AuditEvent {
  return {
    type: "audit_gap",
    reason: "write_failed",
    count: g.total,
    counts: { ...g.counts },
    error: `${g.total} events were not recorded from ${g.since.toISOString()} on: ${g.error}`,
  };
}

const SUCCESS = new Set(["auth_success", "cert_issued", "admin_login", "admin_block", "admin_unblock"]);

/** Free-text fields: redacted in case a token or key slipped into an error message. Claims are copied as they are. */
const FREE_TEXT = new Set(["error", "reason", "detail"]);

/** The line's fields in the original tool's order, with ECS-style outcome fields; free text redacted. */
export function toRecord(event: AuditEvent, now: Date): TimedEvent {
  const ok = SUCCESS.has(event.type);
  const rec: Record<string, unknown> = {
    timestamp: event.timestamp ?? now.toISOString(),
    type: event.type,
    severity: ok ? "INFO" : "WARN",
    "event.category": "authentication",
    "event.outcome": ok ? "success" : "failure",
    "event.action": "token-exchange",
  };
  for (const [k, v] of Object.entries(event)) {
    if (v === undefined || k in rec) continue;
    rec[k] = FREE_TEXT.has(k) && typeof v === "string" ? redactText(v) : v;
  }
  return rec as unknown as TimedEvent;
}

/** An OS error's own words (e.g. "No space left on device (os error 28)"), redacted like any free text. */
export function errorText(err: unknown): string {
  return redactText(err instanceof Error ? err.message : String(err));
}

export function writeAll(w: { writeSync(p: Uint8Array): number }, bytes: Uint8Array): void {
  let off = 0;
  while (off < bytes.length) off += w.writeSync(bytes.subarray(off));
}
