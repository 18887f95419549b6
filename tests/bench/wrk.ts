/** @module Measurement helpers for the benches: wrk with Lua scripts, tokens, /proc CPU time, openssl speed, GC pauses. */

import { createSign } from "node:crypto";
import type { TestIdp } from "../helpers/idp.ts";
import { opensslSpeed } from "./measure.ts";

export interface WrkResult {
  requests: number;
  seconds: number;
  rps: number;
  p50: number;
  p99: number;
  p999: number;
  /** Percent of requests answered within 5 ms (the steady-rate target), read off wrk's latency histogram. */
  within5ms: number;
  errors: number;
  non2xx: number;
}

export const DONE = `
function done(s, lat, req)
  local e = s.errors
  -- the largest percentile still at or under 5 ms (bisection over wrk's histogram)
  local lo, hi = 0, 100
  for _ = 1, 30 do local mid = (lo + hi) / 2; if lat:percentile(mid) <= 5000 then lo = mid else hi = mid end end
  io.write(string.format('\\nRESULT {"requests":%d,"us":%d,"p50":%d,"p99":%d,"p999":%d,"w5":%.4f,"errors":%d,"non2xx":%d}\\n',
    s.requests, s.duration, lat:percentile(50), lat:percentile(99), lat:percentile(99.9), lo,
    e.connect + e.read + e.write + e.timeout, e.status))
end
`;

/** wrk Lua for /exchange: a different token per request, optional fixed pause per connection (steady rate). */
export const EXCHANGE_LUA = `
local bodies, i, pause = {}, 0, 0
function setup(thread) thread:set("seed", math.random(1, 1000000)) end
function init(args)
  for line in io.lines(args[1]) do bodies[#bodies + 1] = line end
  i = seed or 0
  pause = tonumber(args[2] or "0")
end
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
function request() i = i + 1; return wrk.format(nil, nil, nil, bodies[(i % #bodies) + 1]) end
-- uniform jitter around the mean pause, so the connections never fire in step (no synchronized bursts)
function delay() if pause <= 0 then return 0 end return math.floor(pause * (0.5 + math.random())) end
${DONE}`;

/** wrk Lua for a paced GET (the /healthz floor at the same offered rate as a steady /exchange run). */
export const PACED_GET_LUA = `
local pause = 0
function init(args) pause = tonumber(args[1] or "0") end
function delay() if pause <= 0 then return 0 end return math.floor(pause * (0.5 + math.random())) end
${DONE}`;

/** Run wrk with a Lua script and read the RESULT line its done() prints. */
export async function wrk(
  url: string,
  conns: number,
  seconds: number,
  script: string,
  args: string[] = [],
  cpus?: string,
): Promise<WrkResult> {
  // With `cpus` (e.g. "1"), wrk runs under taskset on those CPUs only, to see how much of a tail is the generator.
  const cmd = new Deno.Command(cpus ? "taskset" : "wrk", {
    args: [
      ...(cpus ? ["-c", cpus, "wrk"] : []),
      "-t",
      String(Math.min(2, conns)),
      "-c",
      String(conns),
      "-d",
      `${seconds}s`,
      "-s",
      script,
      url,
      "--",
      ...args,
    ],
    stdout: "piped",
    stderr: "piped",
  });
  const out = await cmd.output().catch((err) => {
    if (err instanceof Deno.errors.NotFound) {
      throw new Error("wrk is not installed: run scripts/setup.sh test (apt-get install wrk)");
    }
    throw err;
  });
  const text = new TextDecoder().decode(out.stdout);
  const m = text.match(/RESULT (\{.*\})/);
  if (!m) throw new Error(`wrk gave no result (exit ${out.code}): ${text}${new TextDecoder().decode(out.stderr)}`);
  const r = JSON.parse(m[1]!);
  const secs = r.us / 1e6;
  return {
    requests: r.requests,
    seconds: secs,
    rps: r.requests / secs,
    p50: r.p50 / 1000,
    p99: r.p99 / 1000,
    p999: r.p999 / 1000,
    within5ms: r.w5,
    errors: r.errors,
    non2xx: r.non2xx,
  };
}

/** The 1, 5 and 15 minute load averages (Linux), for stamping noisy figures. */
export async function loadAverage(): Promise<string> {
  return (await Deno.readTextFile("/proc/loadavg").catch(() => "? ? ?")).split(" ").slice(0, 3).join(" ");
}

/** CPU seconds (user + system) the process has used, from /proc (Linux). */
export async function cpuSeconds(pid: number): Promise<number | undefined> {
  try {
    const f = (await Deno.readTextFile(`/proc/${pid}/stat`)).split(") ")[1]!.split(" ");
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return undefined;
  }
}

/** The main (JS) thread's time on a CPU and runnable-but-waiting, in ms, from /proc/<pid>/task/<pid>/schedstat. */
export async function mainThreadMs(pid: number): Promise<{ run: number; wait: number } | undefined> {
  try {
    const [run, wait] = (await Deno.readTextFile(`/proc/${pid}/task/${pid}/schedstat`)).trim().split(" ").map(Number);
    return run !== undefined && wait !== undefined ? { run: run / 1e6, wait: wait / 1e6 } : undefined;
  } catch {
    return undefined;
  }
}

/** `openssl speed` for RSA-2048 verify and Ed25519 sign: µs per operation on one core. */
export async function opensslBaseline(): Promise<{ rsaVerifyUs?: number; ed25519SignUs?: number }> {
  const s = await opensslSpeed(1, ["rsa2048", "ed25519"]);
  return {
    ...(s.rsaVerify ? { rsaVerifyUs: 1e6 / s.rsaVerify } : {}),
    ...(s.edSign ? { ed25519SignUs: 1e6 / s.edSign } : {}),
  };
}

/** Resident set size of a process in MiB (Linux /proc), or undefined elsewhere. */
export async function rssMiB(pid: number): Promise<number | undefined> {
  try {
    const kb = (await Deno.readTextFile(`/proc/${pid}/status`)).match(/^VmRSS:\s+(\d+) kB/m)?.[1];
    return kb ? Number(kb) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Run `work` while sampling the RSS of `pid` every 200 ms; resolves with the work's result and the peak. */
export async function withPeakRss<T>(pid: number, work: () => Promise<T>): Promise<{ result: T; peakMiB?: number }> {
  let peak: number | undefined;
  let done = false;
  const sampler = (async () => {
    while (!done) {
      const v = await rssMiB(pid);
      if (v !== undefined) peak = Math.max(peak ?? 0, v);
      await new Promise((r) => setTimeout(r, 200));
    }
  })();
  try {
    return { result: await work(), ...(peak !== undefined ? { peakMiB: peak } : {}) };
  } finally {
    done = true;
    await sampler;
  }
}

/**
 * What V8 --trace-gc-nvp lines (`... GC: {"pause":1.2,"gc":"s",...}`) say: pauses in ms, bytes allocated and promoted.
 * `full` holds the mark-compacts the load caused; `reducer` those V8's memory reducer runs once the process idles
 * (`reduce_memory`: a compacting GC after seconds without allocation, e.g. between alternated runs).
 */
export function gcStats(lines: string[]): GcStats {
  const out: GcStats = { scavenges: [], full: [], reducer: [], allocated: 0, promoted: 0 };
  for (const line of lines) {
    const json = line.match(/GC: (\{.*\})\s*$/)?.[1];
    if (!json) continue;
    const g = JSON.parse(json) as {
      gc: string;
      pause: number;
      allocated?: number;
      promoted?: number;
      reduce_memory?: boolean;
    };
    (g.gc === "s" ? out.scavenges : g.reduce_memory ? out.reducer : out.full).push(g.pause);
    if (g.gc === "s") out.promoted += g.promoted ?? 0; // objects a scavenge moved to the old generation
    // Bytes allocated since the previous GC. Now and then V8 prints a wrapped negative difference (~2^54): skip it.
    if (g.allocated !== undefined && g.allocated < 2 ** 40) out.allocated += g.allocated;
  }
  return out;
}

export interface GcStats {
  scavenges: number[];
  full: number[];
  reducer: number[];
  allocated: number;
  promoted: number;
}

export function sum(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0);
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)]! : 0;
}

/** Wall time per call of `op` in microseconds, after a short warm-up. */
export async function perOpUs(n: number, op: (i: number) => unknown): Promise<number> {
  for (let i = 0; i < Math.min(200, n); i++) await op(i);
  const t = performance.now();
  for (let i = 0; i < n; i++) await op(i);
  return ((performance.now() - t) / n) * 1000;
}

/** Round to `digits` decimals (for report cells). */
export function round(v: number, digits = 0): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}

/** Distinct RS256 ID tokens signed with the IdP's real key (node:crypto; jose would take longer). */
export function mintTokens(idp: TestIdp, n: number): string[] {
  const { kid, privateKey } = idp.keys.RS256;
  const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString("base64url");
  const header = b64({ alg: "RS256", kid, typ: "JWT" });
  const now = Math.floor(Date.now() / 1000);
  return Array.from({ length: n }, (_, i) => {
    const claims = {
      iss: idp.issuer,
      aud: idp.clientId,
      sub: `user-${i}`,
      email: `user-${i}@example.com`,
      iat: now,
      exp: now + 3600,
    };
    const input = `${header}.${b64(claims)}`;
    return `${input}.${createSign("RSA-SHA256").update(input).sign(privateKey).toString("base64url")}`;
  });
}
