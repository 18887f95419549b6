/** @module What every soak fault works with and leaves behind: the live pieces, the clock, and one fault's record. */

import type { TestIdp } from "../helpers/idp.ts";
import type { Load, Outcome, TokenKind } from "./load.ts";
import type { SoakServer } from "./server_proc.ts";
import { sleep } from "../../shared/sleep.ts";

export interface ReadySample {
  at: number;
  status: number;
  state?: string;
  details?: Record<string, string>;
}

export interface SoakWorld {
  idp: TestIdp;
  server: SoakServer;
  load: Load;
  /** Wall-clock time (ms since 1970) when the soak started: `epoch + t()` is the real time now. */
  epoch: number;
  /** Milliseconds since the soak started (the load's clock too). */
  t(): number;
  /** A 10-minute run's duration, scaled to this run's length (minutes / 10); at least `floor` ms. */
  scaled(ms: number, floor?: number): number;
  readyz: ReadySample[];
  /** Shares of the extra token kinds in the load right now. */
  mix: Partial<Record<TokenKind, number>>;
  /** Switch the main traffic to tokens of the IdP's current key now (after a rotation; more are minted meanwhile). */
  rotateTokens(): void;
  /**
   * The last time the server may have asked the IdP for an unknown kid (a rotation's new kid, a removed kid it
   * refused): it asks at most once per 30 s cool-down, so an IdP outage is noticed at once only 30 s after it.
   */
  lastKidTraffic: number;
  /** The audit log's tmpfs can be filled (root could mount it). */
  auditDisk?: { fill(): Promise<void>; free(): Promise<void> };
  log(line: string): void;
}

export interface Check {
  what: string;
  ok: boolean;
  detail: string;
}

export interface FaultRecord {
  name: string;
  /** What the issue says must happen. */
  expected: string;
  start: number;
  /** When the fault was lifted (the IdP back, the disk freed, the process listening again). */
  end: number;
  /** When service was whole again (see each fault for what that means); undefined: it never was. */
  recoveredAt?: number;
  /** The rotation's removal of the old key. */
  removedAt?: number;
  /** Extra spans that belong to the fault (each kill to its first certificate after). */
  windows?: [number, number][];
  /** Work that goes on after the fault returns (sockets still to be cut): awaited before the run ends. */
  settle?: Promise<void>;
  /** Token kinds attributed to this fault whenever they were sent. */
  kinds?: TokenKind[];
  notes: string[];
  checks: Check[];
  skipped?: string;
}

/** A fault's record as it starts: now, not yet lifted, no notes or checks. */
export function startFault(
  w: SoakWorld,
  init: Pick<FaultRecord, "name" | "expected"> & Partial<FaultRecord>,
): FaultRecord {
  return { start: w.t(), end: 0, notes: [], checks: [], ...init };
}

/** Call `probe` every `everyMs` until it returns a value or `timeoutMs` has passed (then undefined). */
async function pollFor<T>(
  world: SoakWorld,
  timeoutMs: number,
  everyMs: number,
  probe: () => T | undefined,
): Promise<T | undefined> {
  const deadline = world.t() + timeoutMs;
  for (;;) {
    const hit = probe();
    if (hit !== undefined || world.t() > deadline) return hit;
    await sleep(everyMs);
  }
}

/** The first outcome at or after index `from` matching `pred`, polling until `timeoutMs` (undefined: none came). */
export async function firstOutcome(
  world: SoakWorld,
  since: number,
  pred: (o: Outcome) => boolean,
  timeoutMs: number,
): Promise<Outcome | undefined> {
  let i = 0;
  return await pollFor(world, timeoutMs, 50, () => {
    const all = world.load.outcomes;
    for (; i < all.length; i++) if (all[i]!.at >= since && pred(all[i]!)) return all[i];
  });
}

/** The first readyz sample at or after `since` matching `pred`, polling until `timeoutMs`. */
export async function firstReady(
  world: SoakWorld,
  since: number,
  pred: (r: ReadySample) => boolean,
  timeoutMs: number,
): Promise<ReadySample | undefined> {
  return await pollFor(world, timeoutMs, 100, () => world.readyz.find((r) => r.at >= since && pred(r)));
}

/** Outcomes whose request overlapped [from, to]: sent before `to` and answered (or given up) after `from`. */
export function during(outcomes: Outcome[], from: number, to: number): Outcome[] {
  return outcomes.filter((o) => o.at <= to && o.at + o.ms >= from);
}

/** "200": 1234, "503 ERR_AUDIT": 56, "no answer": 3 ... */
export function byOutcome(outcomes: Outcome[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const o of outcomes) {
    const key = o.status === 0 ? "no answer" : o.code ? `${o.status} ${o.code}` : String(o.status);
    out[key] = (out[key] ?? 0) + 1;
  }
  return out;
}
