/**
 * @module What the steady-rate latency runs found, printed under the "Exchange latency" table of bench/REPORT.md.
 * Kept apart from exchange_bench.ts because it grows with every investigation; each claim names how it was measured.
 */

export const LATENCY_NOTES: readonly string[] = [
  "p99 target: < 5 ms at a steady 1,000 req/s. The server runs with --v8-flags=--trace-gc-nvp; its log and GC",
  "trace go to files (draining them through pipes cost the bench process ~20% of a core during the runs).",
  "Where the tail comes from (perf sched + perf record with --perf-basic-prof, one run): the p99.9 requests sit in",
  "8-23 ms stretches where the loop never sleeps, and the samples there are ordinary request work, not GC: a",
  "backlog after a burst. A /healthz that spins 300 µs (the same main-thread CPU per request as /exchange) gave",
  "p99 3.3 ms at this pacing. GC pauses do not set the p99: with --max-semi-space-size=4 or 8 the median",
  "scavenge drops from ~2.5 ms to 0.6 or 0.95 ms, yet the p99 medians stayed in the same 6-9 ms band (4 runs",
  "each, alternated, same session). The same build's runs spread from 4.2 to 11 ms within minutes, so single",
  "runs say little; the share answered within 5 ms (row above) moves less than the p99 does.",
  "Dropped after A/B: --max-semi-space-size=2, 4, 8 or 64, a Worker for verify + issue (p50 0.48 -> 0.79 ms),",
  "--single-threaded-gc (2x the p99), wrk pinned or niced, audit log and data_dir on tmpfs (within the noise).",
  "Deno.serve (Rust HTTP) holds every TLS response ~44 ms for the client's delayed ACK (Nagle).",
  "Using both cores, as experiments only (each copy with its own audit log, limits and dashboard state): two server",
  "processes on one port (SO_REUSEPORT) gave a median p99 of 5.0 ms against 8.6 ms for one process; two Worker",
  "threads, each with a full server on the same port, 5.6 and 6.3 ms against 7.7 and 6.9 ms (two sessions).",
  "Shipping either needs one owner for the audit hash chain, the rate limits and the dashboard state.",
];
