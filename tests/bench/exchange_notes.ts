/**
 * @module What the steady-rate latency runs found, printed under the "Exchange latency" table of bench/REPORT.md.
 * Kept apart from exchange_bench.ts because it grows with every investigation; each claim names how it was measured.
 */

export const LATENCY_NOTES: readonly string[] = [
  "p99 target: < 5 ms at a steady 1,000 req/s. The server runs as shipped (workers: auto, SERVER_V8_FLAGS in",
  "scripts/compile.ts: --max-semi-space-size=4, --heap-growing-percent=300) plus --trace-gc-nvp; a second server of",
  "the same build with workers: 1 takes the alternate runs (the A/B row; before issue 16 that row compared V8's",
  "default heap settings, see below). Logs and GC traces go to files, not pipes. With workers the main-thread CPU",
  "row divides the main thread's CPU (its own connections plus the state and audit work of the others) by all",
  "requests; the GC rows add up every thread's isolate.",
  "What set the tail was V8's garbage collector. With its defaults a full GC (mark-compact) came every ~2 s at this",
  "rate: V8 starts marking once the old generation's headroom falls below the young generation's size (32 MiB),",
  "and it let the old generation grow only ~1.5x past the ~20 MiB that survive a full GC. Each one costs the loop",
  "marking steps plus a 2-7 ms final pause, and the requests arriving meanwhile queue (p99.9 15-25 ms). On top,",
  "16 MiB semi-spaces made every minor GC a ~2.5 ms pause, 3 per second. Found with an A/B harness (4 alternated",
  "runs of 10 s per variant, same session): with no full GC during the runs (--initial-old-space-size=2048, an",
  "experiment only) the p99 median went from 7.9 to 5.5 ms; with 4 MiB semi-spaces on top, 3.9 ms. The shipped",
  "pair gave 3.6 and 3.9 ms against 8.0 ms on the defaults in two sessions; growth factor 2 instead of 4 gave 4.5 ms;",
  "2 MiB semi-spaces 3.5 ms with twice the minor GCs. Smaller semi-spaces alone (earlier sessions) did not help:",
  "the full GCs still came every ~2 s. RSS under load stays lower than on the defaults (smaller young generation).",
  "What got promoted: the listener's handler info was an object literal with a getter; V8 gave each one its own",
  "hidden class, and through the getter's closure every request's IncomingMessage, ServerResponse and Request",
  "outlived two minor GCs (heap sampling profile, objects freed only by a full GC). As a class: 2.3 -> 0.7 KiB",
  "promoted per exchange. Still promoted: Deno's Request (its inner request is an object literal with accessors;",
  "~320 bytes per `new Request()` in a plain loop) and ~240 bytes in node:https itself (trivial handler). That",
  "keeps a full GC every ~15-20 s, and the runs that catch one show a 20-50 ms burst: the p99.9 row. Its own",
  "pause is 2-7 ms; limiting concurrent marking to one helper thread made no clear difference (5 runs each).",
  "Earlier findings that still hold: Deno.serve (Rust HTTP) holds every TLS response ~44 ms for the client's delayed",
  "ACK (Nagle), so the listener answers in one write with TCP_NODELAY. Dropped after A/B: a Worker for verify + issue",
  "(p50 0.48 -> 0.79 ms), --single-threaded-gc (2x the p99), wrk pinned or niced, tmpfs for the audit log. Two",
  "server processes or two Worker threads on one port (SO_REUSEPORT) cut the p99 by 20-40% on V8's defaults: what",
  "issue 16 shipped as workers: limits and dashboard on one owner thread, each loop appending its own lines to",
  "the one audit chain.",
];
