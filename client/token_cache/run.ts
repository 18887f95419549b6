/** @module Run a helper program (secret-tool, security, powershell) with an explicit env, stdin and a timeout. */

import { join } from "../../shared/path.ts";
import type { Env } from "../paths.ts";

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  env: Env;
  /** Written to the child's stdin, then closed (secrets go here, never into argv). */
  stdin?: string;
  /** Kill the child after this long (default 30 s: an unlock prompt may be waiting for the user). */
  timeoutMs?: number;
}

/**
 * Run `cmd args…` with exactly `env` (nothing inherited from the process environment). A missing program resolves to code 127,
 * a timeout to code 124, like a shell would report them.
 */
export async function runProgram(cmd: string, args: string[], options: RunOptions): Promise<RunResult> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(options.env)) if (v !== undefined) env[k] = v;
  const signal = AbortSignal.timeout(options.timeoutMs ?? 30_000);
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(cmd, {
      args,
      env,
      clearEnv: true,
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
      signal,
    }).spawn();
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return { code: 127, stdout: "", stderr: `${cmd}: not found` };
    throw err;
  }
  const writer = child.stdin.getWriter();
  try {
    if (options.stdin !== undefined) await writer.write(new TextEncoder().encode(options.stdin));
  } catch { /* the child exited early; its status tells why */ }
  await writer.close().catch(() => {});
  const out = await child.output();
  const dec = new TextDecoder();
  const timedOut = signal.aborted;
  return {
    code: timedOut ? 124 : out.code,
    stdout: dec.decode(out.stdout),
    stderr: timedOut ? `${cmd}: timed out` : dec.decode(out.stderr),
  };
}

/** First `name` found on `$PATH` (also trying Windows extensions), or null. */
export async function findOnPath(
  name: string,
  env: Env,
  os: typeof Deno.build.os = Deno.build.os,
): Promise<string | null> {
  const dirs = (env.PATH ?? env.Path ?? "").split(os === "windows" ? ";" : ":").filter(Boolean);
  const names = os === "windows" ? [name, `${name}.exe`, `${name}.cmd`] : [name];
  for (const dir of dirs) {
    for (const n of names) {
      const p = join(dir, n);
      try {
        const st = await Deno.stat(p);
        if (st.isFile && (os === "windows" || ((st.mode ?? 0o111) & 0o111) !== 0)) return p;
      } catch { /* not here */ }
    }
  }
  return null;
}
