/** @module Benchmark: the first five minutes, timed: `demo --headless` end to end next to an empty `deno run`. */

import { join } from "node:path";
import { runHeadless } from "../../demo/headless.ts";
import { startDemoStack } from "../../demo/stack.ts";
import { cliEnv } from "../helpers/cli.ts";
import type { BenchContext, BenchRow, BenchSection } from "./types.ts";

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const ms = (x: number) => Math.round(x);

/** Wall time of one process run, in ms; throws when it fails. */
async function timeProcess(ctx: BenchContext, args: string[], home: string): Promise<number> {
  const start = performance.now();
  const out = await new Deno.Command(ctx.deno, {
    args,
    cwd: ctx.root,
    clearEnv: true,
    env: cliEnv(home),
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const elapsed = performance.now() - start;
  if (!out.success) throw new Error(`${args.join(" ")} failed: ${new TextDecoder().decode(out.stderr).slice(-400)}`);
  return elapsed;
}

export async function run(ctx: BenchContext): Promise<BenchSection[]> {
  const home = await Deno.makeTempDir({ prefix: "talosctl-oidc-bench-" });
  const empty = join(home, "empty.ts");
  await Deno.writeTextFile(empty, "");
  const runs = ctx.budgetSeconds >= 30 ? 5 : 3;
  try {
    const baseline: number[] = [], demo: number[] = [];
    for (let i = 0; i < runs; i++) {
      baseline.push(await timeProcess(ctx, ["run", "-A", empty], home));
      demo.push(await timeProcess(ctx, ["run", "-A", "main.ts", "demo", "--headless"], home));
    }
    ctx.log(`demo --headless: ${demo.map(ms).join(", ")} ms; empty deno run: ${baseline.map(ms).join(", ")} ms`);

    // In-process: start the stack once, then time fresh browser logins against it (no process start, no imports).
    const dir = await Deno.makeTempDir({ dir: home });
    const startAt = performance.now();
    await using stack = await startDemoStack(dir);
    const startMs = performance.now() - startAt;
    const logins: number[] = [];
    const quiet = { stdout() {}, stderr() {}, isTerminal: false };
    for (let i = 0; i < runs; i++) {
      await Deno.remove(stack.paths.talosconfig).catch(() => {});
      await Deno.remove(join(dir, "config"), { recursive: true }).catch(() => {});
      const t = performance.now();
      await runHeadless(stack, "alice", { args: [], env: {}, stdio: quiet, signal: new AbortController().signal });
      logins.push(performance.now() - t);
    }
    const rows: BenchRow[] = [
      {
        name: "demo --headless, whole process (start IdP, dev CA, server, apid; browser login; exchange; whoami)",
        value: ms(median(demo)),
        unit: "ms",
        baseline: "empty `deno run -A` of an empty file",
        baselineValue: ms(median(baseline)),
        ratio: Math.round((median(demo) / median(baseline)) * 10) / 10,
        note: "lower is better; ratio = demo / empty run",
      },
      {
        name: "demo stack start in-process (IdP, Ed25519 CA, server with self-signed TLS, apid)",
        value: ms(startMs),
        unit: "ms",
      },
      {
        name:
          "one fresh headless login in-process (PKCE browser walk, code redemption, CSR exchange, talosconfig, mTLS whoami)",
        value: ms(median(logins)),
        unit: "ms",
      },
    ];
    return [{
      title: "First five minutes: the demo",
      rows,
      notes: [
        `Median of ${runs} runs each, taken alternately in the same run. Processes start from a fresh temp HOME with ` +
        "the module cache warm (DENO_DIR), as after `npm ci` and one first run.",
        "The in-process login removes the talosconfig and token cache before each run, so every login walks the IdP.",
      ],
    }];
  } finally {
    await Deno.remove(home, { recursive: true });
  }
}
