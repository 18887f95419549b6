/**
 * @module Refused ID tokens, audited without letting a flood fill the disk: the first `auth_failure` per client
 * address and reason in a window is written at once, the rest of that window as one line with a `count`.
 */

import { clientKey } from "../middleware/ip.ts";
import type { AuditEvent, AuditSink } from "./types.ts";

export interface FailureAggregatorOptions {
  audit: Pick<AuditSink, "write">;
  /** How long one line stands for its address and reason (default 60 s). */
  windowMs?: number;
  /** Most address + reason pairs held at once (default 10,000); the oldest is written out early. */
  maxEntries?: number;
  now?: () => number;
}

export interface FailureAggregator {
  /** An `auth_failure` event: written now if it is the first of its address and reason in the window, else counted. */
  report(event: AuditEvent & { type: "auth_failure" }): void;
  /** Write the counts of every window that has ended (a timer calls it; tests call it with their clock). */
  flush(): void;
  /** Write every count now, ended or not (at shutdown). */
  close(): void;
}

interface Window {
  first: AuditEvent;
  startedAt: number;
  more: number;
}

/**
 * One key per client address (IPv6 by /64, as the rate limit counts) and reason. Only failures aggregate: every
 * issued certificate still gets its own line. The summary line repeats the first event's address, issuer and
 * reason and says how many more there were (`count`), so totals stay exact: the metrics and the dashboard add it.
 */
export function createFailureAggregator(options: FailureAggregatorOptions): FailureAggregator {
  const windowMs = options.windowMs ?? 60_000;
  const maxEntries = options.maxEntries ?? 10_000;
  const now = options.now ?? Date.now;
  if (!(windowMs >= 1)) throw new RangeError("windowMs must be at least 1 ms");
  // Insertion order is start order (every window is as long), so ended windows are always at the front.
  const open = new Map<string, Window>();

  const writeOut = (key: string, w: Window) => {
    open.delete(key);
    if (w.more === 0) return;
    const { client_ip, issuer, reason } = w.first;
    const seconds = Math.round(windowMs / 1000);
    options.audit.write({
      type: "auth_failure",
      ...(client_ip ? { client_ip } : {}),
      ...(issuer ? { issuer } : {}),
      ...(reason ? { reason } : {}),
      count: w.more,
      error: `${w.more} more refused with this reason from this address within ${seconds} s`,
    });
  };
  const flush = (t = now()) => {
    for (const [key, w] of open) {
      if (w.startedAt + windowMs > t) break;
      writeOut(key, w);
    }
  };

  return {
    report(event) {
      const t = now();
      flush(t);
      const key = `${clientKey(event.client_ip ?? "")}\n${event.reason ?? ""}`;
      const w = open.get(key);
      if (w) return void w.more++;
      options.audit.write(event);
      open.set(key, { first: event, startedAt: t, more: 0 });
      if (open.size > maxEntries) {
        const [oldest, ow] = open.entries().next().value!;
        writeOut(oldest, ow);
      }
    },
    flush: () => flush(),
    close() {
      for (const [key, w] of open) writeOut(key, w);
    },
  };
}
