/** @module Benchmark: POST /exchange over real TLS (wrk, distinct RS256 tokens), /healthz, the in-process costs, openssl. */

import { join } from "node:path";
import { createDevCa } from "../helpers/dev_ca.ts";
import { startTestIdp } from "../helpers/idp.ts";
import { costRows, inProcess, startServer } from "./exchange_server.ts";
import { steadyLatency } from "./exchange_steady.ts";
import { LATENCY_NOTES } from "./exchange_notes.ts";
import type { BenchContext, BenchRow, BenchSection } from "./types.ts";
import {
  cpuSeconds,
  DONE,
  EXCHANGE_LUA,
  mintTokens,
  opensslBaseline,
  PACED_GET_LUA,
  round,
  rssMiB,
  withPeakRss,
  wrk,
  type WrkResult,
} from "./wrk.ts";

const TOKENS = 1000;
const TARGET_RPS = 3000;

export async function run(ctx: BenchContext): Promise<BenchSection[]> {
  const dir = await Deno.makeTempDir({ prefix: "exchange-bench-" });
  await using idp = await startTestIdp();
  try {
    const ca = await createDevCa("ed25519");
    ctx.log(`minting ${TOKENS} distinct RS256 tokens`);
    const tokens = mintTokens(idp, TOKENS);
    const bodies = join(dir, "bodies.jsonl"), script = join(dir, "exchange.lua"), get = join(dir, "get.lua");
    const paced = join(dir, "paced_get.lua");
    await Deno.writeTextFile(paced, PACED_GET_LUA);
    await Deno.writeTextFile(bodies, tokens.map((t) => JSON.stringify({ id_token: t })).join("\n") + "\n");
    await Deno.writeTextFile(script, EXCHANGE_LUA);
    await Deno.writeTextFile(get, DONE);
    const ex = (c: number, secs: number, pauseMs = 0, cpus?: string) =>
      wrk(`${url}/exchange`, c, secs, script, [bodies, String(pauseMs)], cpus);
    const ops = await inProcess(idp, tokens, ca, dir);
    const cryptoLimit = 1e6 / (ops.verifyUs + ops.issueUs); // req/s one core could do if crypto were all
    const server = await startServer(idp, ca, join(dir, "shipped"), ctx);
    // The same build with one event loop (workers: 1), for the steady-rate A/B (idle until then).
    const defaults = await startServer(idp, ca, join(dir, "one-loop"), ctx, { env: { TALOSCTL_OIDC_WORKERS: "1" } });
    const { child, url } = server;
    const rows: BenchRow[] = [];
    const latency: BenchRow[] = [];
    try {
      const rssIdle = await rssMiB(child.pid);
      await ex(8, 2); // warm-up: JIT, JWKS, TLS sessions
      const results: Record<number, WrkResult & { cpuUs?: number }> = {};
      let rssPeak: number | undefined;
      for (const c of [1, 8, 32]) {
        const before = await cpuSeconds(child.pid);
        const { result: r, peakMiB } = await withPeakRss(child.pid, () => ex(c, 5));
        if (c === 32) rssPeak = peakMiB;
        const after = await cpuSeconds(child.pid);
        results[c] = {
          ...r,
          ...(before !== undefined && after !== undefined ? { cpuUs: ((after - before) / r.requests) * 1e6 } : {}),
        };
        ctx.log(
          `exchange c=${c}: ${r.rps.toFixed(0)} req/s p50 ${r.p50.toFixed(2)} ms p99 ${r.p99.toFixed(2)} ms errors ${
            r.errors + r.non2xx
          }`,
        );
        const limitNote = `${round(r.rps / cryptoLimit, 2)}× the in-process crypto limit (${round(cryptoLimit)}/s)`;
        rows.push({
          name: `/exchange throughput, ${c} keep-alive client${c > 1 ? "s" : ""}`,
          value: round(r.rps),
          unit: "req/s",
          ...(c === 32
            ? { baseline: "target on 2 cores", baselineValue: TARGET_RPS, ratio: round(r.rps / TARGET_RPS, 2) }
            : {
              baseline: "in-process crypto limit, one core (1 / (verify + issue))",
              baselineValue: round(cryptoLimit),
              ratio: round(r.rps / cryptoLimit, 2),
            }),
          note: `${r.errors + r.non2xx} errors${c === 32 ? `; ${limitNote}` : ""}`,
        });
        // The same concurrency against /healthz: what TLS + HTTP alone cost in latency on this machine.
        const hc = await wrk(`${url}/healthz`, c, 3, get);
        const who = `${c} client${c > 1 ? "s" : ""}`;
        for (const [q, v, hv] of [["p50", r.p50, hc.p50], ["p99", r.p99, hc.p99]] as const) {
          latency.push({
            name: `/exchange ${q}, ${who}`,
            value: round(v, 2),
            unit: "ms",
            baseline: `/healthz ${q}, ${who} (same server)`,
            baselineValue: round(hv, 2),
            ratio: round(v / hv, 1),
          });
        }
      }
      const beforeH = await cpuSeconds(child.pid);
      const h = await wrk(`${url}/healthz`, 32, 3, get);
      const afterH = await cpuSeconds(child.pid);
      rows.push({
        name: "/healthz throughput, 32 clients (same server)",
        value: round(h.rps),
        unit: "req/s",
        baseline: "/exchange at 32 clients",
        baselineValue: round(results[32]!.rps),
        ratio: round(h.rps / results[32]!.rps, 1),
      });
      latency.push(...(await steadyLatency({ tuned: server, defaults, script, bodies, paced, ctx })));

      await new Promise((r) => setTimeout(r, 3000)); // let the last connections close and GC settle
      const rssAfter = await rssMiB(child.pid);
      const memory: BenchRow[] = [
        { name: "server RSS idle (listening, before any request)", value: round(rssIdle ?? 0, 1), unit: "MiB" },
        {
          name: "server RSS under load (peak during 32 clients)",
          value: round(rssPeak ?? 0, 1),
          unit: "MiB",
          ...(rssIdle
            ? { baseline: "idle", baselineValue: round(rssIdle, 1), ratio: round((rssPeak ?? 0) / rssIdle, 2) }
            : {}),
        },
        {
          name: "server RSS after load (3 s after the last run)",
          value: round(rssAfter ?? 0, 1),
          unit: "MiB",
          ...(rssIdle
            ? { baseline: "idle", baselineValue: round(rssIdle, 1), ratio: round((rssAfter ?? 0) / rssIdle, 2) }
            : {}),
        },
      ];
      const cpuH = afterH !== undefined && beforeH !== undefined ? ((afterH - beforeH) / h.requests) * 1e6 : undefined;
      const cost = costRows(ops, await opensslBaseline(), results[32]!.cpuUs, cpuH);
      return [
        {
          title: "Exchange server throughput (real TLS, wrk, distinct RS256 tokens, Ed25519 Talos CA)",
          rows,
          notes: [
            `wrk ${conns()}; one server process as shipped (workers: auto = ${navigator.hardwareConcurrency} event loops, server/http1/ on node:tls answering in one write, SERVER_V8_FLAGS); audit log to a file.`,
            "The load generator runs on the same machine and takes part of the second core.",
          ],
        },
        {
          title: "Exchange latency",
          rows: latency,
          notes: [...LATENCY_NOTES],
        },
        {
          title: "Exchange server memory",
          rows: memory,
          notes: ["VmRSS of the server process from /proc; the peak is sampled every 200 ms during the 32-client run."],
        },
        {
          title: "Where one exchange's time goes",
          rows: cost,
          notes: [
            "In-process figures are wall time per operation in a loop; server CPU is user+system time from /proc divided by requests.",
          ],
        },
      ];
    } finally {
      for (const s of [server, defaults]) s.child.kill("SIGTERM");
      await Promise.all([server.child.status, defaults.child.status]);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function conns(): string {
  return "keep-alive, 2 threads (1 for a single client), one connection per client";
}
