/**
 * @module Benchmark: what the HTTP and TLS layers cost per request on their own (tests/bench/tls_layer_server.ts):
 * the shipped listener (server/http1/: Deno.listen for HTTP, node:tls for HTTPS) and the node:http(s) listener it
 * replaced, against Deno.listen and Deno.listenTls answering in one write. The questions: what server/http1/ saved,
 * where a TLS exchange's extra CPU goes, and what a listener on Deno's own TLS would still save.
 */

import { join } from "node:path";
import { nullLogger } from "../../shared/log.ts";
import { loadOrCreateSelfSigned } from "../../server/tls/self_signed_store.ts";
import type { BenchContext, BenchRow, BenchSection } from "./types.ts";
import { cpuSeconds, DONE, loadAverage, median, round, wrk } from "./wrk.ts";

const MODES = ["node-http", "node-https", "ours-http", "ours-https", "deno-tcp", "deno-tls"] as const;
type Mode = typeof MODES[number];
const ROUNDS = 3;
const SECONDS = 3;

/** wrk Lua: POST a 1 KiB JSON-sized body on every request. */
const POST_LUA = `wrk.method = "POST"
wrk.body = string.rep("a", 1024)
wrk.headers["Content-Type"] = "application/json"
${DONE}`;

export async function run(ctx: BenchContext): Promise<BenchSection[]> {
  const dir = await Deno.makeTempDir({ prefix: "tls-layer-" });
  const children: Deno.ChildProcess[] = [];
  try {
    const tls = await loadOrCreateSelfSigned({ dataDir: dir, sans: ["127.0.0.1"], logger: nullLogger }, new Date());
    const cert = join(dir, "leaf.crt"), key = join(dir, "leaf.key"), script = join(dir, "post.lua");
    await Deno.writeTextFile(cert, tls.leaf.certPem);
    await Deno.writeTextFile(key, tls.leaf.keyPem);
    await Deno.writeTextFile(script, POST_LUA);
    const servers = {} as Record<Mode, { url: string; pid: number }>;
    for (const mode of MODES) {
      const child = new Deno.Command(ctx.deno, {
        args: ["run", "-A", "tests/bench/tls_layer_server.ts", mode, cert, key],
        cwd: ctx.root,
        stdout: "piped",
        stderr: "null",
      }).spawn();
      children.push(child);
      const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
      let seen = "";
      while (!/listening on (\S+)/.test(seen)) seen += (await reader.read()).value ?? "";
      reader.releaseLock();
      servers[mode] = { url: /listening on (\S+)/.exec(seen)![1]!, pid: child.pid };
      await wrk(`${servers[mode].url}/`, 8, 1, script); // warm-up
    }
    const cpu = Object.fromEntries(MODES.map((m) => [m, [] as number[]])) as Record<Mode, number[]>;
    const rps = Object.fromEntries(MODES.map((m) => [m, [] as number[]])) as Record<Mode, number[]>;
    const loads: string[] = [];
    for (let i = 0; i < ROUNDS; i++) { // alternated
      loads.push(await loadAverage());
      for (const mode of MODES) {
        const c0 = await cpuSeconds(servers[mode].pid);
        const r = await wrk(`${servers[mode].url}/`, 32, SECONDS, script);
        const c1 = await cpuSeconds(servers[mode].pid);
        cpu[mode].push(((c1! - c0!) / r.requests) * 1e6);
        rps[mode].push(r.rps);
      }
    }
    const us = (m: Mode) => median(cpu[m]);
    ctx.log(`tls layer µs/request: ${MODES.map((m) => `${m} ${round(us(m), 1)}`).join(", ")}`);
    const row = (name: string, m: Mode, base: Mode, what: string): BenchRow => ({
      name,
      value: round(us(m), 1),
      unit: "µs",
      baseline: what,
      baselineValue: round(us(base), 1),
      ratio: round(us(m) / us(base), 1),
      note: `lower is better; ${round(median(rps[m]))} against ${round(median(rps[base]))} req/s at 32 connections`,
    });
    return [{
      title: "HTTP and TLS layers alone: our listener and node:http(s) against Deno.listen(Tls), CPU per request",
      rows: [
        row(
          "A/B: our listener over TLS (server/http1/ on node:tls), one POST and its answer",
          "ours-https",
          "node-https",
          "node:https (the listener before server/http1/)",
        ),
        row(
          "A/B: our listener over plain HTTP (server/http1/ on Deno.listen)",
          "ours-http",
          "node-http",
          "node:http (the listener before)",
        ),
        row(
          "our listener over TLS against a bare loop on Deno.listenTls",
          "ours-https",
          "deno-tls",
          "Deno.listenTls, one write per answer",
        ),
        row(
          "node:https, one POST and its answer",
          "node-https",
          "deno-tls",
          "Deno.listenTls, one write per answer",
        ),
        row("node:http, same request (plain HTTP)", "node-http", "deno-tcp", "Deno.listen, one write per answer"),
        {
          name: "TLS alone per request: node:https minus node:http",
          value: round(us("node-https") - us("node-http"), 1),
          unit: "µs",
          baseline: "Deno.listenTls minus Deno.listen",
          baselineValue: round(us("deno-tls") - us("deno-tcp"), 1),
          note: "what the node:tls layer adds over rustls driven directly by Deno",
        },
      ],
      notes: [
        `1 KiB POST bodies, a 2.6 KB JSON answer, wrk at 32 keep-alive connections, ${SECONDS} s per run, ${ROUNDS} ` +
        `alternated rounds, medians; server CPU (user + system) from /proc over the run. Load: ${loads.join(" / ")}.`,
        "The Deno.listen(Tls) servers are a bare HTTP/1.1 loop (Content-Length bodies, keep-alive, one write per " +
        "answer), not a server: a listener built on them would add header parsing, limits and timeouts. What it " +
        "shows is how much of a TLS exchange's CPU is node:tls's in Deno rather than the cipher's.",
        "Ours answers from a fast route (as POST /exchange is served) after strict parsing, with its limits and " +
        "timeouts. Its TLS stays on node:tls: a Deno.listenTls connection whose client never starts the handshake " +
        "cannot be closed (the TLS stream waits for the handshake before it lets go of the socket; Deno 2.9.5, " +
        "rustls-tokio-stream), which would undo the 5 s handshake limit; what Deno's TLS would " +
        "still save once it can (the third row).",
      ],
    }];
  } finally {
    for (const c of children) {
      try {
        c.kill("SIGTERM");
      } catch { /* exited */ }
      await c.status;
      await c.stdout.cancel().catch(() => {});
    }
    await Deno.remove(dir, { recursive: true });
  }
}
