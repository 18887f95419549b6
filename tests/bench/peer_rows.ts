/** @module The peer bench's rows and notes: each side's samples, the ratios, what each step bought, the remaining gap. */

import type { BenchRow } from "./types.ts";
import { median, round } from "./wrk.ts";

export const CONNS = 32;

export type Mode = "plain" | "tls";

/** CPU per exchange (µs): ours (all threads), Go's, our main thread with workers, and with one loop. */
export interface Cpu {
  ours: number;
  go: number;
  main: number;
  local: number;
}

/** One timed wrk run against a target, with the server's CPU per request when its pid is known. */
export interface Sample {
  rps: number;
  p99: number;
  errors: number;
  /** CPU (all threads) and main-thread CPU per request, µs. */
  cpuUs?: number;
  mainUs?: number;
}

/**
 * The remaining gap in CPU per exchange, and what it means for more cores, from this run's figures. Both servers
 * are CPU-bound here, so throughput follows CPU per exchange; on a node with more cores the loops add up until the
 * main thread, which keeps the tracker, counters and log lines of every other loop's requests, runs out.
 */
export function gapNotes(cpu: Record<string, Cpu>): string[] {
  const p = cpu.plain, t = cpu.tls;
  if (!p || !t) return [];
  const loops = navigator.hardwareConcurrency;
  // The main thread's CPU above its share of its own requests (at what one loop's main thread spends on one) is what
  // the other loops' requests cost it.
  const ownShare = p.local / loops;
  const perRemote = Math.max(0, (p.main - ownShare) / ((loops - 1) / loops || 1));
  const perCore = 1e6 / p.ours;
  const cap = perRemote > 0 ? 1e6 / perRemote : Infinity;
  return [
    `Remaining gap: CPU per exchange ${round(p.ours)} µs against Go's ${round(p.go)} µs over plain HTTP (` +
    `${round(p.ours / p.go, 2)}x), ${round(t.ours)} against ${round(t.go)} µs over TLS (${
      round(t.ours / t.go, 2)
    }x): ` +
    "with both CPU-bound on the same cores the throughput ratio follows. TLS cost this server ~" +
    `${round(Math.max(0, t.ours - p.ours))} µs per exchange in this run (node:tls over rustls in Deno) and Go ~` +
    `${round(Math.max(0, t.go - p.go))} µs (CPU per request moves with the machine's load, as much as TLS costs). ` +
    "A CPU profile of one loop (plain HTTP, workers: 1, wrk at saturation) puts its time in: the crypto ~46% " +
    "(RS256 verify with BigInt modPow ~21%: node:crypto verify with a cached KeyObject and WebCrypto measured 3-4x " +
    "slower here, Montgomery and Barrett reduction in BigInt slower too; Ed25519 key from a seed ~15%, whichever " +
    "API: generateKeyPairSync and WebCrypto cost the same; the certificate's signature ~10%), the two hash-chained " +
    "audit lines with the issuance history ~15%, the HTTP layer ~7%, token parsing and claims ~8%, the log line " +
    "~3%, GC ~3%, the rest spread over the route. Go's whole request is ~" +
    `${round(p.go)} µs.`,
    `More cores, on paper (plain HTTP): each loop adds ~${round(perCore)} exchanges/s per core (1 / ${round(p.ours)} ` +
    `µs); the main thread spends ~${round(perRemote)} µs on each exchange another loop answers (its tracker, ` +
    `counters and log line), so the loops together stop growing near ${
      Number.isFinite(cap) ? round(cap) : "∞"
    } exchanges/s of other loops' traffic: about ${
      Number.isFinite(cap) ? Math.max(1, Math.floor(cap / perCore)) : "any number of"
    } extra cores' worth. Each loop appends its own lines to the one audit chain, holding the chain's lock for a ` +
    "hash and a write per batch (the exchange report's 'write one audit line' row, two per exchange): a bound of " +
    "the same order. Before the loops appended themselves, the owner thread wrote every loop's lines and became the " +
    "bottleneck on two cores already (the A/B rows above).",
  ];
}

export const FAST_STEP = {
  name: "A/B: POST /exchange straight off the listener (no fetch Request, router or Response)",
  baseline: "same build, /exchange through the Hono app",
};
export const BALANCE_STEP = {
  name: "A/B: the loops even out their keep-alive connections (one over its share closes one after an answer)",
  baseline: "same build, each loop keeping the connections the kernel gave it",
};
export const AUDIT_STEP = {
  name: "A/B: worker threads append to the audit chain themselves (shared head under a lock, no owner round trip)",
  baseline: "same build, workers sending their audit events to the owner thread",
};

/** What a step bought: as shipped against the same build with that step off (workers: auto), round by round. */
export function stepRow(mode: Mode, a: Sample[], off: Sample[], step: { name: string; baseline: string }): BenchRow {
  const m = (xs: Sample[], k: keyof Sample) => median(xs.map((s) => s[k] ?? 0));
  return {
    name: `${step.name}, ${mode === "plain" ? "plain HTTP" : "TLS"}`,
    value: round(m(a, "rps")),
    unit: "req/s",
    baseline: step.baseline,
    baselineValue: round(m(off, "rps")),
    ratio: round(m(a, "rps") / m(off, "rps"), 2),
    note: `CPU per exchange ${round(m(a, "cpuUs"))} µs against ${round(m(off, "cpuUs"))} µs (main thread ` +
      `${round(m(a, "mainUs"))} against ${round(m(off, "mainUs"))} µs); runs ${
        off.map((s) => round(s.rps)).join(", ")
      }; round by round ${a.map((s, i) => round(s.rps / off[i]!.rps, 2)).join(", ")}`,
  };
}

/** What server/http1/ bought: one loop on it against one loop on the node:http(s) listener it replaced. */
export function listenerRow(mode: Mode, w1: Sample[], oldL: Sample[]): BenchRow {
  const m = (xs: Sample[], k: keyof Sample) => median(xs.map((s) => s[k] ?? 0));
  const what = mode === "plain" ? "plain HTTP (Deno.listen)" : "TLS (node:tls)";
  return {
    name: `A/B: our HTTP/1.1 listener (server/http1/), ${what}, workers: 1`,
    value: round(m(w1, "rps")),
    unit: "req/s",
    baseline: `node:${mode === "plain" ? "http" : "https"} listener it replaced, workers: 1 (same run)`,
    baselineValue: round(m(oldL, "rps")),
    ratio: round(m(w1, "rps") / m(oldL, "rps"), 2),
    note: `higher is better; CPU per exchange ${round(m(w1, "cpuUs"))} µs against ${round(m(oldL, "cpuUs"))} µs; ` +
      `round by round ${w1.map((s, i) => round(s.rps / oldL[i]!.rps, 2)).join(", ")}`,
  };
}

export function peerRows(mode: Mode, a: Sample[], b: Sample[], w1: Sample[], loads: string[]): BenchRow[] {
  const m = (xs: Sample[], k: keyof Sample) => median(xs.map((s) => s[k] ?? 0));
  const what = mode === "plain" ? "plain HTTP" : "TLS";
  const errors = [...a, ...b].reduce((n, s) => n + s.errors, 0);
  return [{
    name: `/exchange at saturation, ${what}, ${CONNS} connections (workers: auto = ${navigator.hardwareConcurrency})`,
    value: round(m(a, "rps")),
    unit: "req/s",
    baseline: `Go peer, ${what} (same run)`,
    baselineValue: round(m(b, "rps")),
    ratio: round(m(a, "rps") / m(b, "rps"), 2),
    note: `higher is better; runs ours ${a.map((s) => round(s.rps)).join(", ")}; Go ${
      b.map((s) => round(s.rps)).join(", ")
    }; round by round ${a.map((s, i) => round(s.rps / b[i]!.rps, 2)).join(", ")}; ${errors} errors; load ${
      loads.join(" / ")
    }`,
  }, {
    name: `/exchange at saturation, ${what}, workers: 1 (one event loop)`,
    value: round(m(w1, "rps")),
    unit: "req/s",
    baseline: `Go peer, ${what} (same run)`,
    baselineValue: round(m(b, "rps")),
    ratio: round(m(w1, "rps") / m(b, "rps"), 2),
    note: `what the workers bought: auto / 1 = ${round(m(a, "rps") / m(w1, "rps"), 2)}; runs ${
      w1.map((s) => round(s.rps)).join(", ")
    }; CPU per exchange ${round(m(w1, "cpuUs"))} µs (main thread ${round(m(w1, "mainUs"))} µs)`,
  }, {
    name: `/exchange p99 at saturation, ${what}`,
    value: round(m(a, "p99"), 2),
    unit: "ms",
    baseline: "Go peer p99",
    baselineValue: round(m(b, "p99"), 2),
    ratio: round(m(a, "p99") / m(b, "p99"), 2),
    note: "lower is better",
  }, {
    name: `server CPU per /exchange, ${what} (all threads)`,
    value: round(m(a, "cpuUs")),
    unit: "µs",
    baseline: "Go peer CPU per request",
    baselineValue: round(m(b, "cpuUs")),
    ratio: round(m(a, "cpuUs") / m(b, "cpuUs"), 2),
    note: `lower is better; workers: auto; our main (JS) thread alone: ${round(m(a, "mainUs"))} µs per exchange ` +
      "(it serves part of the connections and owns the state and audit chain for the rest)",
  }];
}
