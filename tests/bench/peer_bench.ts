/**
 * @module Benchmark: this server next to a Go standard-library peer doing the original tool's per-request work (issue
 * 16), same tokens, same Talos CA, same TLS certificate, same wrk load, plain HTTP and TLS, runs alternated.
 */

import { join } from "node:path";
import { createDevCa } from "../helpers/dev_ca.ts";
import { startTestIdp } from "../helpers/idp.ts";
import { startServer } from "./exchange_server.ts";
import { buildGoPeer, startGoPeer } from "./go_peer.ts";
import type { BenchContext, BenchRow, BenchSection } from "./types.ts";
import { cpuSeconds, EXCHANGE_LUA, loadAverage, mainThreadMs, median, mintTokens, round, wrk } from "./wrk.ts";
import {
  AUDIT_STEP,
  BALANCE_STEP,
  CONNS,
  type Cpu,
  FAST_STEP,
  gapNotes,
  listenerRow,
  peerRows,
  type Sample,
  stepRow,
} from "./peer_rows.ts";

const TOKENS = 4000;
const SECONDS = 5;
const ROUNDS = 5;

export async function run(ctx: BenchContext): Promise<BenchSection[]> {
  const dir = await Deno.makeTempDir({ prefix: "peer-bench-" });
  await using idp = await startTestIdp();
  try {
    const ca = await createDevCa("ed25519");
    const caCert = join(dir, "ca.crt"), caKey = join(dir, "ca.key");
    await Deno.writeTextFile(caCert, ca.certPem);
    await Deno.writeTextFile(caKey, ca.keyPem, { mode: 0o600 });
    ctx.log(`minting ${TOKENS} distinct RS256 tokens; building the Go peer`);
    const tokens = mintTokens(idp, TOKENS);
    const bodies = join(dir, "bodies.jsonl"), script = join(dir, "exchange.lua");
    await Deno.writeTextFile(bodies, tokens.map((t) => JSON.stringify({ id_token: t })).join("\n") + "\n");
    await Deno.writeTextFile(script, EXCHANGE_LUA);
    const bin = await buildGoPeer(dir);

    // As shipped (workers: auto, here 2 event loops) and with one loop (workers: 1), each against the Go peer.
    const plain = { TALOSCTL_OIDC_INSECURE: "true" };
    const ours = {
      tls: await startServer(idp, ca, join(dir, "ours-tls"), ctx),
      plain: await startServer(idp, ca, join(dir, "ours-plain"), ctx, { env: plain }),
    };
    const data = join(dir, "ours-tls", "data");
    const one = {
      tls: await startServer(idp, ca, join(dir, "one-tls"), ctx, {
        env: { TALOSCTL_OIDC_WORKERS: "1", TALOSCTL_OIDC_DATA_DIR: data },
      }),
      plain: await startServer(idp, ca, join(dir, "one-plain"), ctx, { env: { ...plain, TALOSCTL_OIDC_WORKERS: "1" } }),
    };
    // What each step bought (plain HTTP, workers: auto): the shipped build with one fast path turned off.
    const variant = (name: string, env: Record<string, string> = plain, at = name) =>
      startServer(idp, ca, join(dir, at), ctx, {
        env: { ...env, BENCH_VARIANT: name },
        entry: ["tests/bench/variant_server.ts"],
      });
    const steps = { fast: await variant("no-fast-exchange") };
    // Worker threads sending their audit events to the owner thread, as before they appended to the chain themselves.
    const ownerAudit = {
      plain: await variant("owner-audit", plain, "owner-plain"),
      tls: await variant("owner-audit", { TALOSCTL_OIDC_DATA_DIR: data }, "owner-tls"),
    };
    // Each loop keeping the keep-alive connections the kernel gave it, as before the loops evened them out.
    const noBalance = {
      plain: await variant("no-balance", plain, "nobal-plain"),
      tls: await variant("no-balance", { TALOSCTL_OIDC_DATA_DIR: data }, "nobal-tls"),
    };
    // The listener before server/http1/ (node:http(s)), against `one` (workers: 1 both: the variant has one loop).
    const nodeListener = {
      plain: await variant("node-listener", { ...plain, TALOSCTL_OIDC_WORKERS: "1" }, "node-plain"),
      tls: await variant("node-listener", { TALOSCTL_OIDC_WORKERS: "1", TALOSCTL_OIDC_DATA_DIR: data }, "node-tls"),
    };
    const peerOptions = { issuer: idp.issuer, clientId: idp.clientId, caCert, caKey };
    await using goPlain = await startGoPeer(bin, {
      ...peerOptions,
      audit: join(dir, "go-plain.audit"),
      log: join(dir, "go-plain.log"),
    });
    await using goTls = await startGoPeer(bin, {
      ...peerOptions,
      audit: join(dir, "go-tls.audit"),
      log: join(dir, "go-tls.log"),
      tls: { cert: join(data, "server.crt"), key: join(data, "server.key") },
    });
    const go = { plain: goPlain, tls: goTls };
    try {
      const sample = async (url: string, pid?: number): Promise<Sample> => {
        const [c0, m0] = pid ? [await cpuSeconds(pid), await mainThreadMs(pid)] : [];
        const r = await wrk(`${url}/exchange`, CONNS, SECONDS, script, [bodies, "0"]);
        const [c1, m1] = pid ? [await cpuSeconds(pid), await mainThreadMs(pid)] : [];
        return {
          rps: r.rps,
          p99: r.p99,
          errors: r.errors + r.non2xx,
          ...(c0 !== undefined && c1 !== undefined ? { cpuUs: ((c1 - c0) / r.requests) * 1e6 } : {}),
          ...(m0 && m1 ? { mainUs: ((m1.run - m0.run) / r.requests) * 1000 } : {}),
        };
      };
      for (const mode of ["plain", "tls"] as const) { // warm-up: JIT, JWKS, TLS sessions
        const extra = mode === "plain" ? [steps.fast, nodeListener.plain] : [nodeListener.tls];
        extra.push(ownerAudit[mode], noBalance[mode]);
        for (const t of [ours[mode], one[mode], go[mode], ...extra]) {
          await wrk(`${t.url}/exchange`, 8, 2, script, [bodies, "0"]);
        }
      }
      const rows: BenchRow[] = [];
      const cpu: Record<string, Cpu> = {};
      for (const mode of ["plain", "tls"] as const) {
        const a: Sample[] = [], b: Sample[] = [], w1: Sample[] = [], noFast: Sample[] = [], oldL: Sample[] = [];
        const viaOwner: Sample[] = [], unbalanced: Sample[] = [];
        const loads: string[] = [];
        for (let i = 0; i < ROUNDS; i++) { // alternated, so drift on the shared machine hits all of them alike
          loads.push(await loadAverage());
          a.push(await sample(ours[mode].url, ours[mode].child.pid));
          w1.push(await sample(one[mode].url, one[mode].child.pid));
          b.push(await sample(go[mode].url, go[mode].child.pid));
          if (mode === "plain") noFast.push(await sample(steps.fast.url, steps.fast.child.pid));
          oldL.push(await sample(nodeListener[mode].url, nodeListener[mode].child.pid));
          viaOwner.push(await sample(ownerAudit[mode].url, ownerAudit[mode].child.pid));
          unbalanced.push(await sample(noBalance[mode].url, noBalance[mode].child.pid));
        }
        rows.push(...peerRows(mode, a, b, w1, loads), listenerRow(mode, w1, oldL));
        rows.push(stepRow(mode, a, viaOwner, AUDIT_STEP), stepRow(mode, a, unbalanced, BALANCE_STEP));
        if (mode === "plain") rows.push(stepRow(mode, a, noFast, FAST_STEP));
        const med = (xs: Sample[], k: keyof Sample) => median(xs.map((x) => x[k] ?? 0));
        cpu[mode] = { ours: med(a, "cpuUs"), go: med(b, "cpuUs"), main: med(a, "mainUs"), local: med(w1, "mainUs") };
        ctx.log(
          `${mode}: ours ${a.map((s) => round(s.rps)).join("/")}, one loop ${w1.map((s) => round(s.rps)).join("/")}, ` +
            `go ${b.map((s) => round(s.rps)).join("/")}`,
        );
      }
      return [{
        title: "Against a Go standard-library peer (same tokens, CA, TLS certificate and wrk load)",
        rows,
        notes: [
          `wrk, ${CONNS} keep-alive connections, 2 threads, ${SECONDS} s per run, ${ROUNDS} runs per side alternated ` +
          `(ours, Go, ours, ...); medians. ${TOKENS} distinct RS256 tokens, Ed25519 Talos CA.`,
          "The Go peer (tests/bench/go_peer/main.go, Go 1.19 stdlib, GOMAXPROCS as the runtime picks) does the " +
          "original tool's per-request work: JSON body (64 KiB cap), RS256 verify with crypto/rsa, iss/aud/exp, " +
          "groups to roles, Ed25519 key, x509.CreateCertificate, PEM, one audit line (mutex, flush), JSON answer.",
          "Ours does more per request: two hash-chained audit lines, a JSON log line, the full claim checks " +
          "(iat, nbf, azp, max token age), the per-IP limiter (off here: one address sends everything).",
          "The step A/B rows run the same build with one step turned off (tests/bench/variant_server.ts): " +
          "BENCH_VARIANT=no-fast-exchange (every request through the Hono app), owner-audit (workers send their audit " +
          "events to the owner thread), no-balance (each loop keeps the connections the kernel gave it; SO_REUSEPORT " +
          "hashes wrk's 32 connections over the 2 loops, rarely 16/16), in the same alternation. The listener " +
          "A/B rows run the build with the node:http(s) listener server/http1/ replaced (BENCH_VARIANT=node-listener, " +
          "tests/bench/node_listener.ts) against this build, both with workers: 1, in the same alternation.",
          "wrk runs on the same 2 cores; the machine is shared with other agents, so absolute figures move between " +
          "runs while the alternated ratio holds better.",
          ...gapNotes(cpu),
        ],
      }];
    } finally {
      const all = [
        ...Object.values(ours),
        ...Object.values(one),
        ...Object.values(steps),
        ...Object.values(ownerAudit),
        ...Object.values(noBalance),
        ...Object.values(nodeListener),
      ];
      for (const s of all) s.child.kill("SIGTERM");
      await Promise.all(all.map((s) => s.child.status));
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
