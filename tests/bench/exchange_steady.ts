/**
 * @module The exchange bench's steady-rate part: ~1,000 req/s offered by 50 paced connections, runs alternated between
 * the server as shipped (workers: auto, V8_FLAGS) and the same build with workers: 1, then the /healthz floor.
 */

import type { startServer } from "./exchange_server.ts";
import { serverSideRows } from "./exchange_server.ts";
import type { BenchContext, BenchRow } from "./types.ts";
import { gcStats, loadAverage, mainThreadMs, median, round, sum, wrk, type WrkResult } from "./wrk.ts";

export const TARGET_P99_MS = 5;
const STEADY_RPS = 1000;
const STEADY_RUNS = 5;
const PAUSE_MS = "49";

type Server = Awaited<ReturnType<typeof startServer>>;

export interface SteadyOptions {
  /** The server as shipped (workers: auto, V8_FLAGS). */
  tuned: Server;
  /** The same build with workers: 1: the baseline, measured in the same run. */
  defaults: Server;
  /** wrk Lua for /exchange and its bodies file; the paced GET script for the /healthz floor. */
  script: string;
  bodies: string;
  paced: string;
  ctx: BenchContext;
}

/** Steady-rate latency rows: p99/p99.9/share within 5 ms, the defaults baseline, server CPU, allocation and GC. */
export async function steadyLatency(o: SteadyOptions): Promise<BenchRow[]> {
  const { ctx } = o;
  const { child, url, gc, exchangeHistogram } = o.tuned;
  // 50 connections, each pausing 25-74 ms (a mean of 49) between requests: ~1,000 req/s offered.
  const ex = (s: Server) => wrk(`${s.url}/exchange`, 50, 10, o.script, [o.bodies, PAUSE_MS]);
  const latency: BenchRow[] = [];
  // The tail at this load is noisy (GC, and whatever else the 2 cores run): STEADY_RUNS runs, the median is the
  // figure, each run stamped with the load average. GC figures come from the server's --trace-gc-nvp lines.
  const gcFrom = (await gc()).length;
  const runs: (WrkResult & { load: string })[] = [];
  const [main0, hist0] = [await mainThreadMs(child.pid), await exchangeHistogram()];
  // Alternated with the defaults server so both see the same machine noise; each server idles while the other runs.
  const baseRuns: WrkResult[] = [];
  const baseGcFrom = (await o.defaults.gc()).length;
  for (let i = 0; i < STEADY_RUNS; i++) {
    runs.push({ ...(await ex(o.tuned)), load: await loadAverage() });
    baseRuns.push(await ex(o.defaults));
  }
  const basePauses = gcStats((await o.defaults.gc()).slice(baseGcFrom));
  const [main1, hist1] = [await mainThreadMs(child.pid), await exchangeHistogram()];
  const steadyGc = (await gc()).slice(gcFrom);
  const gcMid = gcFrom + steadyGc.length;
  const pauses = gcStats(steadyGc);
  const steady = medianRun(runs), base = medianRun(baseRuns);
  // The floor this machine and the HTTP/TLS stack give at the same pacing, with no crypto at all.
  const main2 = await mainThreadMs(child.pid);
  const floor = await wrk(`${url}/healthz`, 50, 10, o.paced, [PAUSE_MS]);
  const main3 = await mainThreadMs(child.pid);
  const floorGc = gcStats((await gc()).slice(gcMid));
  ctx.log(`steady: ${runs.map((r) => `p99 ${r.p99.toFixed(2)} ms (load ${r.load})`).join(", ")}`);
  ctx.log(`steady, workers: 1: ${baseRuns.map((r) => `p99 ${r.p99.toFixed(2)} ms`).join(", ")}`);
  const steadyRequests = sum(runs.map((r) => r.requests));
  const within = sum(runs.map((r) => r.within5ms * r.requests)) / steadyRequests;
  latency.push({
    name: `/exchange p99 at a steady ~${STEADY_RPS} req/s, median of ${STEADY_RUNS} runs (achieved ${
      round(steady.rps)
    })`,
    value: round(steady.p99, 2),
    unit: "ms",
    baseline: "target",
    baselineValue: TARGET_P99_MS,
    ratio: round(steady.p99 / TARGET_P99_MS, 2),
    note: `lower is better; 50 connections, each pausing 25-74 ms (uniform) between requests; runs: ${
      runs.map((r) => `${round(r.p99, 2)} ms (load ${r.load})`).join(", ")
    }`,
  }, {
    name: `/exchange p99.9 at a steady ~${STEADY_RPS} req/s (same runs)`,
    value: round(steady.p999, 2),
    unit: "ms",
    baseline: "/healthz p99.9 at the same pacing",
    baselineValue: round(floor.p999, 2),
    ratio: round(steady.p999 / floor.p999, 1),
    note: `runs: ${runs.map((r) => `${round(r.p999, 2)} ms`).join(", ")}`,
  }, {
    name: `/exchange requests answered within ${TARGET_P99_MS} ms at a steady ~${STEADY_RPS} req/s (all runs)`,
    value: round(within, 2),
    unit: "%",
    baseline: "/healthz at the same pacing",
    baselineValue: round(floor.within5ms, 2),
    ratio: round(within / floor.within5ms, 3),
    note: `the target means >= 99; client side (wrk's histogram); runs: ${
      runs.map((r) => `${round(r.within5ms, 2)}%`).join(", ")
    }`,
  });
  const baseRequests = sum(baseRuns.map((r) => r.requests));
  const baseWithin = sum(baseRuns.map((r) => r.within5ms * r.requests)) / baseRequests;
  latency.push({
    name:
      `/exchange p99 at a steady ~${STEADY_RPS} req/s with workers: 1 (one event loop; same build, runs alternated)`,
    value: round(base.p99, 2),
    unit: "ms",
    baseline: "as shipped (workers: auto, first row)",
    baselineValue: round(steady.p99, 2),
    ratio: round(base.p99 / steady.p99, 2),
    note: `${round(baseWithin, 2)}% within ${TARGET_P99_MS} ms (as shipped: ${round(within, 2)}%); mark-compacts ` +
      `${basePauses.full.length} (as shipped: ${pauses.full.length}), scavenge median ${
        median(basePauses.scavenges)
      } ms ` +
      `(as shipped: ${median(pauses.scavenges)} ms); runs: ${baseRuns.map((r) => `${round(r.p99, 2)} ms`).join(", ")}`,
  });
  latency.push(...serverSideRows(hist0, hist1, TARGET_P99_MS, steady.p99));
  const kb = (bytes: number, requests: number) => round(bytes / requests / 1024, 1);
  latency.push({
    name: "bytes the JS heap allocates per /exchange (steady runs)",
    value: kb(pauses.allocated, steadyRequests),
    unit: "KiB",
    baseline: "per /healthz at the same pacing",
    baselineValue: kb(floorGc.allocated, floor.requests),
    ratio: round(kb(pauses.allocated, steadyRequests) / kb(floorGc.allocated, floor.requests), 1),
    note: "from V8's GC trace; every ~4 MiB of it (the shipped semi-space) costs one minor GC",
  }, {
    name: "bytes promoted to the old generation per /exchange (steady runs)",
    value: kb(pauses.promoted, steadyRequests),
    unit: "KiB",
    baseline: "per /healthz at the same pacing",
    baselineValue: kb(floorGc.promoted, floor.requests),
    ratio: round(kb(pauses.promoted, steadyRequests) / kb(floorGc.promoted, floor.requests), 1),
    note: "objects alive across two minor GCs, kept until a full GC frees them (see the notes)",
  });
  latency.push(
    { name: `/exchange p50 at a steady ~${STEADY_RPS} req/s`, value: round(steady.p50, 2), unit: "ms" },
    {
      name: `/healthz p99 at the same steady pacing (achieved ${round(floor.rps)} req/s)`,
      value: round(floor.p99, 2),
      unit: "ms",
      baseline: "/exchange p99 at that pacing (median run)",
      baselineValue: round(steady.p99, 2),
      ratio: round(floor.p99 / steady.p99, 2),
      note: `no token, no certificate: what the machine, TLS and HTTP alone give; p50 ${round(floor.p50, 2)} ms`,
    },
  );
  if (main0 && main1 && main2 && main3) {
    const exUs = ((main1.run - main0.run) / steadyRequests) * 1000;
    const hzUs = ((main3.run - main2.run) / floor.requests) * 1000;
    const seconds = sum(runs.map((r) => r.seconds));
    latency.push({
      name: "server main (JS) thread CPU per /exchange at the steady rate",
      value: round(exUs),
      unit: "µs",
      baseline: "per /healthz at the same pacing",
      baselineValue: round(hzUs),
      ratio: round(exUs / hzUs, 1),
      note: `busy ${round((main1.run - main0.run) / seconds / 10)}% of one core; one request at a time, so every ` +
        "request pays its own wake-ups (32 clients share them)",
    }, {
      name: "server main thread runnable but waiting for a CPU, steady runs",
      value: round((main1.wait - main0.wait) / seconds, 1),
      unit: "ms/s",
      note: "time the kernel ran something else (load generator, V8 helper threads) while the loop had work",
    });
  }
  latency.push(
    {
      name: `GC pauses during the ${STEADY_RUNS} steady runs: scavenges`,
      value: pauses.scavenges.length,
      unit: "count",
      note: `median ${median(pauses.scavenges)} ms, max ${Math.max(0, ...pauses.scavenges)} ms`,
    },
    {
      name: `GC pauses during the ${STEADY_RUNS} steady runs: mark-compact`,
      value: pauses.full.length,
      unit: "count",
      note: `max ${Math.max(0, ...pauses.full)} ms (final pause; incremental steps come on top); besides, ` +
        `${pauses.reducer.length} memory-reducer GCs while idle between alternated runs (max ` +
        `${Math.max(0, ...pauses.reducer)} ms)`,
    },
    {
      name: "share of the steady runs spent in GC pauses",
      value: round(
        ((sum(pauses.scavenges) + sum(pauses.full)) / (sum(runs.map((r) => r.seconds)) * 1000)) * 100,
        2,
      ),
      unit: "%",
    },
  );

  return latency;
}

function medianRun<T extends { p99: number }>(runs: T[]): T {
  return [...runs].sort((a, b) => a.p99 - b.p99)[Math.floor(runs.length / 2)]!;
}
