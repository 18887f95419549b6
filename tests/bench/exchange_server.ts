/** @module The exchange bench's fixtures and cost table: a real `serve` subprocess, one exchange's in-process costs. */

import { join } from "node:path";
import { serveEnv } from "../helpers/server.ts";
import { SERVER_V8_FLAGS } from "../../scripts/compile.ts";
import { openAuditLog } from "../../server/audit/audit_log.ts";
import { createIdTokenVerifier } from "../../server/oidc/verifier.ts";
import { createCertIssuer } from "../../server/talos_ca/issuer.ts";
import { loadTalosCa } from "../../server/talos_ca/load.ts";
import type { TestIdp } from "../helpers/idp.ts";
import type { BenchContext, BenchRow } from "./types.ts";
import { perOpUs, round } from "./wrk.ts";

/** Verify, sign and audit in this process: what one exchange costs before HTTP. */
export async function inProcess(
  idp: TestIdp,
  tokens: string[],
  caPems: { certPem: string; keyPem: string },
  dir: string,
) {
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

function denoExtra(): string[] {
  return (Deno.env.get("BENCH_SERVER_DENO_ARGS") ?? "").split(" ").filter(Boolean);
}

function v8Extra(): string[] {
  return (Deno.env.get("BENCH_SERVER_V8_FLAGS") ?? "").split(/[ ,]+/).filter(Boolean);
}

export async function startServer(
  idp: TestIdp,
  ca: { certPem: string; keyPem: string },
  dir: string,
  ctx: BenchContext,
  options: { v8Defaults?: boolean; env?: Record<string, string>; entry?: string[]; logName?: string } = {},
) {
  await Deno.mkdir(dir, { recursive: true });
  // The server's log (stderr) and GC trace (stdout) go to files, not pipes: draining ~1,000 log lines/s through
  // a pipe cost this process ~20% of a core, competing for the 2 cores with the server it measures. A restarted
  // server (the soak's crash phase) writes a log of its own (`logName`).
  const log = join(dir, options.logName ?? "server.log"), trace = join(dir, "gc-trace.log");
  const args = [
    "run",
    "-A",
    ...denoExtra(),
    // As shipped (the binaries' heap settings) unless v8Defaults; extra flags come last and win.
    `--v8-flags=${[...(options.v8Defaults ? [] : SERVER_V8_FLAGS), "--trace-gc-nvp", ...v8Extra()].join(",")}`,
    ...(options.entry ?? ["main.ts", "serve"]),
  ];
  const child = new Deno.Command("sh", {
    // BENCH_SERVER_V8_FLAGS adds V8 flags to the server (e.g. --max-semi-space-size=2) for A/B runs, and
    // BENCH_SERVER_DENO_ARGS Deno flags (e.g. --cpu-prof-dir=/tmp/prof --cpu-prof-md to profile the server under load).
    args: ["-c", 'exec "$0" "$@" >"$TRACE" 2>"$LOG"', ctx.deno, ...args],
    cwd: ctx.root,
    env: {
      RUST_BACKTRACE: "0",
      NO_COLOR: "1",
      LOG: log,
      TRACE: trace,
      ...serveEnv(idp, ca),
      TALOSCTL_OIDC_AUDIT_LOG: join(dir, "audit.log"),
      TALOSCTL_OIDC_DATA_DIR: join(dir, "data"),
      // wrk sends thousands of exchanges a second from one address: the default per-IP limit (300/min) would turn
      // the bench into a measure of 429s.
      TALOSCTL_OIDC_RATE_LIMIT_REQUESTS: "0",
      ...options.env, // last: a bench may set any of the above
    },
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  let url = "";
  for (let waited = 0; !url; waited += 50) {
    const text = await Deno.readTextFile(log).catch(() => "");
    url = text.match(/"url":"(https?:\/\/[^"]+)"/)?.[1] ?? "";
    if (url) break;
    const exited = await Promise.race([child.status, new Promise((r) => setTimeout(() => r(undefined), 50))]);
    if (exited || waited > 30_000) throw new Error(`the server did not start listening:\n${text}`);
  }
  /** V8 --trace-gc-nvp lines so far (to explain the latency tail). */
  const gc = async () => (await Deno.readTextFile(trace)).split("\n").filter((l) => l.includes("GC: {"));
  /** The server's /exchange duration histogram now: cumulative count per upper bound in seconds (+Inf last). */
  const exchangeHistogram = async () => {
    using client = Deno.createHttpClient({ caCerts: [await Deno.readTextFile(join(dir, "data", "ca.crt"))] });
    const text = await (await fetch(`${url}/metrics`, { client })).text();
    const re = /^talosctl_oidc_exchange_duration_seconds_bucket\{le="([^"]+)"\} (\d+)$/gm;
    return [...text.matchAll(re)].map((m) => ({ le: Number(m[1]), count: Number(m[2]) }));
  };
  return { child, url, gc, exchangeHistogram };
}

/**
 * The server's own view of the steady runs, from its /exchange histogram (before/after): the share answered within
 * the target and the smallest bucket bound that holds 99%. It times the app (middleware to answer), not the TLS read,
 * the HTTP parse or the wait for the event loop, so next to wrk's p99 it tells handling from queueing.
 */
export function serverSideRows(
  before: { le: number; count: number }[],
  after: { le: number; count: number }[],
  targetMs: number,
  clientP99: number,
): BenchRow[] {
  const delta = after.map((b, i) => ({ le: b.le, count: b.count - (before[i]?.count ?? 0) }));
  const total = delta.at(-1)?.count ?? 0;
  if (total === 0) return [];
  const within = delta.find((b) => b.le * 1000 >= targetMs)?.count ?? total;
  const p99Bound = delta.find((b) => b.count >= 0.99 * total)?.le ?? Infinity;
  return [{
    name: "server-side p99 of the steady runs (the app's own /exchange histogram), at most",
    value: round(p99Bound * 1000, 2),
    unit: "ms",
    baseline: "wrk's p99 (median run)",
    baselineValue: round(clientP99, 2),
    ratio: round((p99Bound * 1000) / clientP99, 2),
    note: `${round((within / total) * 100, 2)}% of ${total} answered within ${targetMs} ms by the app; ` +
      "bucket bound, from middleware to answer (no TLS read, HTTP parse or wait for the loop)",
  }];
}

/** The "where one exchange's time goes" rows: in-process costs next to openssl, server CPU next to their sum. */
export function costRows(
  ops: { verifyUs: number; issueUs: number; auditUs: number },
  base: { rsaVerifyUs?: number; ed25519SignUs?: number },
  cpu32: number | undefined,
  cpuH: number | undefined,
): BenchRow[] {
  return [
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
}
