/**
 * @module `talosctl-oidc serve` with a wall clock the soak can step: every thread (the owner and each worker, which
 * start from this same module) reads an offset from SOAK_CLOCK_FILE and moves Date by it. Monotonic time
 * (performance.now) is left alone, as a real NTP or admin step leaves CLOCK_MONOTONIC alone.
 */

import { runCli } from "../../main.ts";
import { isServeWorker } from "../../shared/serve_worker.ts";
import type { Pipe } from "../../server/workers/channel.ts";

/** Replace Date with one that is `offset` ms off the real clock, the offset re-read from `file` every 100 ms. */
function steppedDate(file: string): void {
  const Real = Date;
  let offset = 0;
  const read = () => {
    try {
      offset = Number(Deno.readTextFileSync(file).trim()) || 0;
    } catch { /* no file: no step */ }
  };
  read();
  Deno.unrefTimer(setInterval(read, 100));
  class Stepped extends Real {
    constructor(...args: unknown[]) {
      super(...((args.length === 0 ? [Real.now() + offset] : args) as [string]));
    }
    static override now(): number {
      return Real.now() + offset;
    }
  }
  globalThis.Date = Stepped as DateConstructor;
}

const clockFile = Deno.env.get("SOAK_CLOCK_FILE");
if (clockFile) steppedDate(clockFile);

if (isServeWorker()) {
  (await import("../../server/workers/worker.ts")).runServeWorker(self as unknown as Pipe);
} else {
  const controller = new AbortController();
  Deno.addSignalListener("SIGTERM", () => controller.abort());
  Deno.addSignalListener("SIGINT", () => controller.abort());
  const enc = new TextEncoder();
  const code = await runCli({
    args: Deno.args,
    env: Deno.env.toObject(),
    stdio: {
      stdout: (t) => void Deno.stdout.writeSync(enc.encode(t)),
      stderr: (t) => void Deno.stderr.writeSync(enc.encode(t)),
      isTerminal: false,
    },
    signal: controller.signal,
    entry: import.meta.url,
  });
  Deno.exit(code);
}
