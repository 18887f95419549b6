/**
 * @module The TLS delayed-ACK hold reduced to its cause: tests/bench/tls_hold_server.ts in each mode, one keep-alive
 * connection, the median latency of a 600-byte and a 3 KB answer.
 */

import { join } from "node:path";
import { nullLogger } from "../../shared/log.ts";
import { loadOrCreateSelfSigned } from "../../server/tls/self_signed_store.ts";
import type { BenchContext, BenchRow } from "./types.ts";
import { DONE, round, wrk } from "./wrk.ts";

const MODES = [
  ["deno-serve", "Deno.serve"],
  ["deno-two-writes", "Deno.listenTls, head and body in two writes (Nagle on: no setNoDelay)"],
  ["deno-one-write", "Deno.listenTls, head and body in one write"],
  ["node-two-writes-nagle", "node:tls, two writes, TCP_NODELAY off"],
  ["node-two-writes-nodelay", "node:tls, two writes, TCP_NODELAY on (what the shipped listener does)"],
] as const;

/** One row per mode and body size: p50 at 1 connection, against the one-write server as the baseline. */
export async function tlsHoldRows(dir: string, ctx: BenchContext): Promise<BenchRow[]> {
  const tls = await loadOrCreateSelfSigned(
    { dataDir: join(dir, "hold"), sans: ["127.0.0.1"], logger: nullLogger },
    new Date(),
  );
  const cert = join(dir, "hold.crt"), key = join(dir, "hold.key"), get = join(dir, "get.lua");
  await Deno.writeTextFile(cert, tls.leaf.certPem);
  await Deno.writeTextFile(key, tls.leaf.keyPem);
  await Deno.writeTextFile(get, DONE);
  const rows: BenchRow[] = [];
  for (const size of ["600", "3000"]) {
    const p50: Record<string, number> = {};
    for (const [mode] of MODES) {
      const child = new Deno.Command(ctx.deno, {
        args: ["run", "-A", "tests/bench/tls_hold_server.ts", mode, cert, key, size],
        cwd: ctx.root,
        stdout: "piped",
        stderr: "null",
      }).spawn();
      const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
      let seen = "";
      while (!/listening on (\S+)/.test(seen)) seen += (await reader.read()).value ?? "";
      const url = /listening on (\S+)/.exec(seen)![1]!;
      try {
        p50[mode] = (await wrk(`${url}/`, 1, 2, get)).p50;
      } finally {
        child.kill("SIGTERM");
        await child.status;
        reader.releaseLock();
        await child.stdout.cancel().catch(() => {});
      }
    }
    ctx.log(`tls hold ${size} B: ${MODES.map(([m]) => `${m} ${p50[m]} ms`).join(", ")}`);
    for (const [mode, what] of MODES) {
      rows.push({
        name: `TLS answer of ${size} bytes, 1 keep-alive connection, p50: ${what}`,
        value: round(p50[mode]!, 2),
        unit: "ms",
        baseline: "one write",
        baselineValue: round(p50["deno-one-write"]!, 2),
        ratio: round(p50[mode]! / p50["deno-one-write"]!, 0),
      });
    }
  }
  return rows;
}
