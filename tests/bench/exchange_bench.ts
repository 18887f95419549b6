/** @module Benchmark: POST /exchange over real TLS (wrk, distinct RS256 tokens), /healthz, the in-process costs, openssl. */

import { join } from "node:path";
import { openAuditLog } from "../../server/audit/audit_log.ts";
import { createIdTokenVerifier } from "../../server/oidc/verifier.ts";
import { createCertIssuer } from "../../server/talos_ca/issuer.ts";
import { loadTalosCa } from "../../server/talos_ca/load.ts";
import { createDevCa } from "../helpers/dev_ca.ts";
import { startTestIdp, type TestIdp } from "../helpers/idp.ts";
import type { BenchContext, BenchRow, BenchSection } from "./types.ts";
import {
  cpuSeconds,
  DONE,
  EXCHANGE_LUA,
  gcPauses,
  loadAverage,
  median,
  mintTokens,
  opensslBaseline,
  PACED_GET_LUA,
  perOpUs,
  round,
  rssMiB,
  sum,
  withPeakRss,
  wrk,
  type WrkResult,
} from "./wrk.ts";

const TOKENS = 1000;
const TARGET_RPS = 3000;
const TARGET_P99_MS = 5;
const STEADY_RPS = 1000;
const STEADY_RUNS = 3;

/** Verify, sign and audit in this process: what one exchange costs before HTTP. */
async function inProcess(idp: TestIdp, tokens: string[], caPems: { certPem: string; keyPem: string }, dir: string) {
  const verifier = createIdTokenVerifier({ issuer: idp.issuer, clientId: idp.clientId });
  await verifier.warmUp();
  const issuer = createCertIssuer(await loadTalosCa(caPems));
  const audit = await openAuditLog({ path: join(dir, "inproc-audit.log") });
  const req = { roles: ["os:admin"], commonName: "user@example.com", ttlMs: 300_000 };
  const verifyUs = await perOpUs(3000, (i) => verifier.verify(tokens[i % tokens.length]!));
  const issueUs = await perOpUs(3000, () => issuer.issue({ ...req, now: new Date() }));
  const event = {
    type: "cert_issued" as const,
    subject: "user-1",
    email: "user-1@example.com",
    issuer: idp.issuer,
    client_ip: "127.0.0.1",
    roles: ["os:admin"],
    cert_ttl: "5m0s",
    cert_expiry: new Date().toISOString(),
    cert_fingerprint: "ab".repeat(32),
    cert_serial: "cd".repeat(16),
    "request.id": crypto.randomUUID(),
  };
  const auditUs = await perOpUs(20_000, () => audit.write(event));
  await audit.close();
  return { verifyUs, issueUs, auditUs };
}

function v8Extra(): string[] {
  return (Deno.env.get("BENCH_SERVER_V8_FLAGS") ?? "").split(/[ ,]+/).filter(Boolean);
}

async function startServer(idp: TestIdp, ca: { certPem: string; keyPem: string }, dir: string, ctx: BenchContext) {
  const child = new Deno.Command(ctx.deno, {
    // BENCH_SERVER_V8_FLAGS adds V8 flags to the server (e.g. --max-semi-space-size=2) for A/B runs.
    args: ["run", "-A", `--v8-flags=${["--trace-gc", ...v8Extra()].join(",")}`, "main.ts", "serve"],
    cwd: ctx.root,
    env: {
      RUST_BACKTRACE: "0",
      NO_COLOR: "1",
      TALOSCTL_OIDC_ISSUER_URL: idp.issuer,
      TALOSCTL_OIDC_CLIENT_ID: idp.clientId,
      TALOSCTL_OIDC_ENDPOINTS: "127.0.0.1",
      TALOSCTL_OIDC_LISTEN: "127.0.0.1:0",
      TALOSCTL_OIDC_CA_CERT_DATA: ca.certPem,
      TALOSCTL_OIDC_CA_KEY_DATA: ca.keyPem,
      TALOSCTL_OIDC_AUDIT_LOG: join(dir, "audit.log"),
      TALOSCTL_OIDC_DATA_DIR: join(dir, "data"),
    },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const lines = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let buf = "", url = "";
  while (!url) {
    const { value, done } = await lines.read();
    if (done) throw new Error(`the server exited before listening:\n${buf}`);
    buf += value;
    url = buf.match(/"url":"(https:\/\/[^"]+)"/)?.[1] ?? "";
  }
  (async () => { // keep draining the log so the server never blocks on a full pipe
    while (!(await lines.read()).done);
  })().catch(() => {});
  const gc: string[] = []; // V8 --trace-gc lines, to explain the latency tail
  (async () => {
    for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
      for (const line of chunk.split("\n")) if (/Scavenge|Mark-Compact|Mark-Sweep/.test(line)) gc.push(line);
    }
  })().catch(() => {});
  return { child, url, gc };
}

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
    const { child, url, gc } = await startServer(idp, ca, dir, ctx);
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
        rows.push({
          name: `/exchange throughput, ${c} keep-alive client${c > 1 ? "s" : ""}`,
          value: round(r.rps),
          unit: "req/s",
          ...(c === 32
            ? { baseline: "target on 2 cores", baselineValue: TARGET_RPS, ratio: round(r.rps / TARGET_RPS, 2) }
            : {}),
          note: `${r.errors + r.non2xx} errors`,
        });
        latency.push({ name: `/exchange p50, ${c} client${c > 1 ? "s" : ""}`, value: round(r.p50, 2), unit: "ms" }, {
          name: `/exchange p99, ${c} client${c > 1 ? "s" : ""}`,
          value: round(r.p99, 2),
          unit: "ms",
        });
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
      // The tail at this load is noisy (GC, and whatever else the 2 cores run): three runs, the median is the
      // figure, each run stamped with the load average; then one with wrk pinned to CPU 1 (generator share).
      const gcFrom = gc.length;
      const runs: (WrkResult & { load: string })[] = [];
      for (let i = 0; i < STEADY_RUNS; i++) runs.push({ ...(await ex(50, 10, 49)), load: await loadAverage() });
      const pauses = gcPauses(gc.slice(gcFrom));
      const byP99 = [...runs].sort((a, b) => a.p99 - b.p99);
      const steady = byP99[Math.floor(byP99.length / 2)]!;
      const pinned = await ex(50, 10, 49, "1");
      // The floor this machine and the HTTP/TLS stack give at the same pacing, with no crypto at all.
      const floor = await wrk(`${url}/healthz`, 50, 10, paced, ["49"]);
      const pinnedLoad = await loadAverage();
      ctx.log(`steady: ${runs.map((r) => `p99 ${r.p99.toFixed(2)} ms (load ${r.load})`).join(", ")}`);
      ctx.log(`steady, wrk on CPU 1: p99 ${pinned.p99.toFixed(2)} ms (load ${pinnedLoad})`);
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
        name: `/exchange p99 at a steady ~${STEADY_RPS} req/s, wrk pinned to CPU 1 (taskset)`,
        value: round(pinned.p99, 2),
        unit: "ms",
        baseline: "target",
        baselineValue: TARGET_P99_MS,
        ratio: round(pinned.p99 / TARGET_P99_MS, 2),
        note: `one run, load ${pinnedLoad}; p50 ${round(pinned.p50, 2)} ms`,
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
          note: `max ${Math.max(0, ...pauses.full)} ms (final pause; incremental steps come on top)`,
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
      const ops = await inProcess(idp, tokens, ca, dir);
      const base = await opensslBaseline();
      const cpu32 = results[32]!.cpuUs,
        cpuH = afterH !== undefined && beforeH !== undefined ? ((afterH - beforeH) / h.requests) * 1e6 : undefined;
      const cost: BenchRow[] = [
        {
          name: "verify one RS256 ID token (in process)",
          value: round(ops.verifyUs, 1),
          unit: "µs",
          ...(base.rsaVerifyUs
            ? {
              baseline: "openssl speed rsa2048 verify (1 core)",
              baselineValue: round(base.rsaVerifyUs, 1),
              ratio: round(ops.verifyUs / base.rsaVerifyUs, 1),
            }
            : {}),
          note: "includes claims checks and JWKS lookup",
        },
        {
          name: "issue one Ed25519 client certificate (in process)",
          value: round(ops.issueUs, 1),
          unit: "µs",
          ...(base.ed25519SignUs
            ? {
              baseline: "openssl speed ed25519 sign (1 core)",
              baselineValue: round(base.ed25519SignUs, 1),
              ratio: round(ops.issueUs / base.ed25519SignUs, 1),
            }
            : {}),
          note: "fresh key + DER + signature",
        },
        {
          name: "verify + issue (in process)",
          value: round(ops.verifyUs + ops.issueUs, 1),
          unit: "µs",
          ...(base.rsaVerifyUs && base.ed25519SignUs
            ? {
              baseline: "openssl rsa2048 verify + ed25519 sign",
              baselineValue: round(base.rsaVerifyUs + base.ed25519SignUs, 1),
              ratio: round((ops.verifyUs + ops.issueUs) / (base.rsaVerifyUs + base.ed25519SignUs), 1),
            }
            : {}),
        },
        {
          name: "write one audit line (hash chain, file)",
          value: round(ops.auditUs, 1),
          unit: "µs",
          note: "two per exchange",
        },
        ...(cpuH !== undefined
          ? [{ name: "server CPU per /healthz request (TLS + HTTP + app)", value: round(cpuH, 1), unit: "µs" }]
          : []),
        ...(cpu32 !== undefined
          ? [{
            name: "server CPU per /exchange request, 32 clients",
            value: round(cpu32, 1),
            unit: "µs",
            baseline: "verify + issue + 2 audit lines + /healthz",
            baselineValue: round(ops.verifyUs + ops.issueUs + 2 * ops.auditUs + (cpuH ?? 0), 1),
            ratio: round(cpu32 / (ops.verifyUs + ops.issueUs + 2 * ops.auditUs + (cpuH ?? 0)), 2),
            note: "the rest: body and JSON, middleware, log line, GC",
          }]
          : []),
      ];
      return [
        {
          title: "Exchange server throughput (real TLS, wrk, distinct RS256 tokens, Ed25519 Talos CA)",
          rows,
          notes: [
            `wrk ${conns()}; one server process (one JS thread, node:https with TCP_NODELAY); audit log to a file.`,
            "The load generator runs on the same machine and takes part of the second core.",
          ],
        },
        {
          title: "Exchange latency",
          rows: latency,
          notes: [
            "p99 target: < 5 ms at a steady 1,000 req/s. The server runs with --v8-flags=--trace-gc here.",
            "GC is not what sets the tail: an A/B with --max-semi-space-size=2 (BENCH_SERVER_V8_FLAGS) cut the median",
            "scavenge pause from ~2 ms to ~0.27 ms without moving the p99 (medians of 3: 5.2-5.7 ms either way).",
          ],
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
      child.kill("SIGTERM");
      await child.status;
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function conns(): string {
  return "keep-alive, 2 threads (1 for a single client), one connection per client";
}
