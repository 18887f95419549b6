/** @module Benchmark: the per-IP rate limiter under a flood of distinct forged client IPs (memory, req/s). */

import { nullLogger } from "../../shared/log.ts";
import { createSlidingWindow } from "../../server/middleware/sliding_window.ts";
import { startServer } from "../../server/app.ts";
import { startTestIdp } from "../helpers/idp.ts";
import { testConfig } from "../helpers/server.ts";
import type { BenchContext, BenchRow, BenchSection } from "./types.ts";

const DISTINCT_IPS = 10_000;
const CONCURRENCY = 32;
const ROUNDS = 4;
const MB = 1024 * 1024;

/** 10.x.y.z style address number i (distinct for i < 2^24), forged through X-Forwarded-For. */
const forged = (i: number, base: number) => `${base}.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;

interface Flood {
  requests: number;
  seconds: number;
  statuses: Map<number, number>;
}

/** POST /exchange `count` times with distinct XFF addresses, CONCURRENCY at a time, stopping at `deadline`. */
async function flood(url: string, client: Deno.HttpClient, count: number, base: number, deadline: number, from = 0) {
  const statuses = new Map<number, number>();
  let next = from, done = 0;
  count += from;
  const start = performance.now();
  const worker = async () => {
    while (next < count && performance.now() < deadline) {
      const i = next++;
      const res = await fetch(`${url}/exchange`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-forwarded-for": forged(i, base) },
        body: '{"id_token":"x"}',
        client,
      });
      await res.body?.cancel();
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      done++;
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return { requests: done, seconds: (performance.now() - start) / 1000, statuses } satisfies Flood;
}

function add(total: Flood, part: Flood): void {
  total.requests += part.requests;
  total.seconds += part.seconds;
  for (const [k, n] of part.statuses) total.statuses.set(k, (total.statuses.get(k) ?? 0) + n);
}

async function serverFor(idp: { issuer: string; clientId: string }, requests: number) {
  const base = await testConfig({
    idp,
    config: { rate_limit_requests: requests, rate_limit_window: "10m", trusted_proxies: ["127.0.0.1"] },
  });
  const server = await startServer({ config: base.config, ca: base.loadedCa }, {
    logger: nullLogger,
    stdout: () => {},
  });
  const client = Deno.createHttpClient({ caCerts: [server.deps.tls.caPem()!] });
  const entries = () => Number(/^talosctl_oidc_rate_limiter_entries (\d+)$/m.exec(server.deps.metrics!.render())?.[1]);
  return { server, client, entries, close: async () => (client.close(), await server.close()) };
}

/** Run the bench (≤ budget, loopback only). */
export async function run(ctx: BenchContext): Promise<BenchSection[]> {
  const deadline = performance.now() + Math.min(ctx.budgetSeconds, 30) * 1000;
  await using idp = await startTestIdp();
  const rows: BenchRow[] = [];

  const limited = await serverFor(idp, 5);
  const open = await serverFor(idp, 0);
  ctx.log("warm-up: 1,000 requests to each server");
  await flood(limited.server.url, limited.client, 1000, 20, deadline);
  await flood(open.server.url, open.client, 1000, 20, deadline);
  const rssBefore = Deno.memoryUsage().rss;
  // Alternate on/off rounds so JIT warm-up and GC land on both sides alike.
  const on1: Flood = { requests: 0, seconds: 0, statuses: new Map() };
  const off: Flood = { requests: 0, seconds: 0, statuses: new Map() };
  const per = DISTINCT_IPS / ROUNDS;
  for (let r = 0; r < ROUNDS; r++) {
    ctx.log(`round ${r + 1}/${ROUNDS}: ${per} distinct forged IPs with the limiter, then without`);
    add(on1, await flood(limited.server.url, limited.client, per, 10, deadline, r * per));
    add(off, await flood(open.server.url, open.client, per, 10, deadline, r * per));
  }
  const afterFirst = limited.entries();
  ctx.log(`limiter on: ${DISTINCT_IPS} more distinct forged IPs`);
  const on2 = await flood(limited.server.url, limited.client, DISTINCT_IPS, 11, deadline);
  const afterSecond = limited.entries();
  const rssAfter = Deno.memoryUsage().rss;
  await limited.close();
  await open.close();

  const rps = (f: Flood) => f.requests / f.seconds;
  rows.push(
    { name: `limiter entries after ${on1.requests} distinct IPs`, value: afterFirst, unit: "entries" },
    {
      name: `limiter entries after ${on1.requests + on2.requests} distinct IPs`,
      value: afterSecond,
      unit: "entries",
      note: "capped at 10,000 (least recently seen forgotten first)",
    },
    { name: "process RSS before the floods", value: Math.round(rssBefore / MB), unit: "MiB" },
    {
      name: "process RSS after the floods",
      value: Math.round(rssAfter / MB),
      unit: "MiB",
      note: "server and load generator share the process",
    },
    {
      name: "POST /exchange with the per-IP limiter",
      value: Math.round(rps(on1)),
      unit: "req/s",
      baseline: "same requests, limiter disabled",
      baselineValue: Math.round(rps(off)),
      ratio: Number((rps(on1) / rps(off)).toFixed(3)),
      note: "higher is better; each request a new IP, answered 401 by the handler",
    },
  );

  // The limiter alone, in a child with --expose-gc so heap figures are live memory, not garbage.
  const child = await new Deno.Command(ctx.deno, {
    args: ["run", "--v8-flags=--expose-gc", "-A", new URL(import.meta.url).pathname, "--limiter-alone"],
    stdout: "piped",
    stderr: "inherit",
  }).output();
  const alone = JSON.parse(new TextDecoder().decode(child.stdout)) as Record<string, number>;
  rows.push(
    { name: "limiter alone: entries after 1,100,000 distinct keys", value: alone.entries!, unit: "entries" },
    { name: "limiter alone: hits per second (new key each time)", value: alone.hitsPerSecond!, unit: "hits/s" },
    { name: "limiter alone: live heap after 100,000 distinct keys", value: alone.heapAt100k!, unit: "MiB" },
    {
      name: "limiter alone: live heap after 1,100,000 distinct keys",
      value: alone.heapAt1m!,
      unit: "MiB",
      note: "after a full GC: bounded by the cap, not by the number of distinct keys",
    },
  );
  const statuses = (f: Flood) => [...f.statuses].map(([s, n]) => `${s}×${n}`).join(", ");
  return [{
    title: "Rate limiter under a flood of distinct client IPs (trusted-proxy X-Forwarded-For, loopback TLS)",
    rows,
    notes: [
      `${CONCURRENCY} concurrent HTTP/2 requests over TLS on 127.0.0.1; X-Forwarded-For forged from a trusted proxy;`,
      `with and without the limiter measured in ${ROUNDS} alternating rounds (run-to-run noise is about ±10%).`,
      `Statuses with the limiter: ${statuses(on1)} then ${statuses(on2)}; without: ${statuses(off)}.`,
      "Memory bound: at most 10,000 tracked clients × rate_limit_requests timestamps;",
      "clients whose requests all left the window are swept first.",
    ],
  }];
}

/** The in-memory part, run in a child process with --expose-gc; prints JSON. */
function limiterAlone(): Record<string, number> {
  const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});
  const heap = () => (gc(), Math.round(Deno.memoryUsage().heapUsed / MB * 10) / 10);
  const table = createSlidingWindow({ limit: 5, windowMs: 600_000 });
  for (let i = 0; i < 100_000; i++) table.hit(forged(i, 12));
  const heapAt100k = heap();
  const t0 = performance.now();
  for (let i = 100_000; i < 1_100_000; i++) table.hit(forged(i, 12));
  const hitsPerSecond = Math.round(1_000_000 / ((performance.now() - t0) / 1000));
  return { entries: table.size(), hitsPerSecond, heapAt100k, heapAt1m: heap() };
}

if (import.meta.main && Deno.args.includes("--limiter-alone")) {
  console.log(JSON.stringify(limiterAlone()));
} else if (import.meta.main) {
  const sections = await run({
    root: new URL("../..", import.meta.url).pathname,
    deno: Deno.execPath(),
    budgetSeconds: 30,
    log: (l) => console.error(l),
  });
  for (const s of sections) {
    console.log(`## ${s.title}`);
    for (const r of s.rows) {
      const base = r.baseline ? ` (vs ${r.baseline}: ${r.baselineValue} ${r.unit}, ratio ${r.ratio})` : "";
      console.log(`- ${r.name}: ${r.value} ${r.unit}${base}${r.note ? ` — ${r.note}` : ""}`);
    }
    for (const n of s.notes ?? []) console.log(`  ${n}`);
  }
}
