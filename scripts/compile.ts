/** @module Release binaries: `deno compile` per target from a staged source copy, then dist/checksums.txt. */

import { createHash } from "node:crypto";
import { join } from "node:path";
import { type BuildInfo, resolveBuildInfo, ROOT, stageSource } from "./build_info.ts";

/** `<os>-<arch>` (the asset name suffix) → Rust target triple that `deno compile --target` takes. */
export const TARGETS: Record<string, string> = {
  "linux-amd64": "x86_64-unknown-linux-gnu",
  "linux-arm64": "aarch64-unknown-linux-gnu",
  "darwin-amd64": "x86_64-apple-darwin",
  "darwin-arm64": "aarch64-apple-darwin",
  "windows-amd64": "x86_64-pc-windows-msvc",
};

import { PERMISSIONS } from "../shared/permissions.ts";

export { PERMISSIONS };

/**
 * V8 heap settings for the server, baked into every binary and passed by `deno task serve`, the bundle's runs and the
 * bench. V8's defaults suit a short CLI run, not a server at 1,000 exchanges/s, where its GC set the latency tail
 * (bench/REPORT.md, A/B in the same run):
 * - `--max-semi-space-size=4` (MiB): V8 grows the young generation to 16 MiB per semi-space, and each minor GC then
 *   pauses the loop ~2.5 ms; at 4 MiB they come 4x as often and take ~0.4 ms.
 * - `--heap-growing-percent=300`: the old generation may grow to 4x what the last full GC kept (V8 picked ~1.5x for
 *   this heap), so a full GC comes every ~15 s instead of every ~2 s. Each one costs the loop a few ms of marking
 *   steps plus its final pause. The server's live heap is ~20 MiB, so this is tens of MiB at most.
 * A flag this Deno does not know makes it exit at start (code 1), which the bundle tests would catch.
 */
export const SERVER_V8_FLAGS: readonly string[] = ["--max-semi-space-size=4", "--heap-growing-percent=300"];

/** SERVER_V8_FLAGS as the one `--v8-flags=` argument Deno takes (a second one is an error). */
export const V8_FLAGS = `--v8-flags=${SERVER_V8_FLAGS.join(",")}`;

/** Asset file name for a target key, e.g. `talosctl-oidc-linux-amd64`, `talosctl-oidc-windows-amd64.exe`. */
export function assetName(key: string): string {
  if (!(key in TARGETS)) {
    throw new RangeError(`unknown target "${key}"; expected one of ${Object.keys(TARGETS).join(", ")}`);
  }
  return `talosctl-oidc-${key}${key.startsWith("windows-") ? ".exe" : ""}`;
}

/**
 * Unstable APIs the binary uses: `reusePort` on Deno.listen (--unstable-net), so that the serve workers share a plain
 * HTTP port on Deno's own TCP listener (server/http1/transports.ts; without it they take node:net). deno.json asks
 * for the same on every run from a checkout.
 */
export const UNSTABLE_FLAGS: readonly string[] = ["--unstable-net"];

/** The `deno compile` arguments for one target, run inside the staging dir. */
export function compileArgs(key: string, outDir: string): string[] {
  const output = join(outDir, assetName(key)); // throws for unknown keys
  return [
    "compile",
    "--target",
    TARGETS[key]!,
    ...PERMISSIONS,
    ...UNSTABLE_FLAGS,
    V8_FLAGS,
    "--output",
    output,
    "main.ts",
  ];
}

/** Write `checksums.txt` (GNU sha256sum format, sorted) over every other regular file in `dir`. */
export async function writeChecksums(dir: string): Promise<string> {
  const names: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    if (e.isFile && e.name !== "checksums.txt") names.push(e.name);
  }
  names.sort();
  const lines: string[] = [];
  for (const name of names) {
    const hash = createHash("sha256");
    using file = await Deno.open(join(dir, name));
    for await (const chunk of file.readable) hash.update(chunk);
    lines.push(`${hash.digest("hex")}  ${name}\n`);
  }
  const text = lines.join("");
  await Deno.writeTextFile(join(dir, "checksums.txt"), text);
  return text;
}

interface CompileOptions {
  targets: string[];
  outDir: string;
  info: BuildInfo;
  /** Print the commands instead of running them (the staging copy is still made and checked). */
  dryRun?: boolean;
  deno?: string;
  log?: (line: string) => void;
}

/** Compile each target; stops at the first failure. */
async function compileAll(opts: CompileOptions): Promise<void> {
  const log = opts.log ?? ((l: string) => console.error(l));
  if (!opts.dryRun) await Deno.mkdir(opts.outDir, { recursive: true });
  await using staged = await stageSource(opts.info);
  for (const key of opts.targets) {
    const args = compileArgs(key, opts.outDir);
    log(`${opts.dryRun ? "would run" : "running"}: deno ${args.join(" ")}   (in ${staged.dir})`);
    if (opts.dryRun) continue;
    const out = await new Deno.Command(opts.deno ?? Deno.execPath(), {
      args,
      cwd: staged.dir,
      env: { RUST_BACKTRACE: "0" },
      stdout: "inherit",
      stderr: "inherit",
    }).output();
    if (!out.success) throw new Error(`deno compile for "${key}" failed with exit code ${out.code}`);
  }
}

if (import.meta.main) {
  const args = Deno.args.filter((a) => a !== "--dry-run");
  const dryRun = args.length !== Deno.args.length;
  const targets = args.length > 0 ? args : Object.keys(TARGETS);
  const unknown = targets.filter((t) => !(t in TARGETS));
  if (unknown.length > 0) {
    console.error(`error: unknown target ${unknown.map((t) => `"${t}"`).join(", ")}`);
    console.error(`hint: choose from ${Object.keys(TARGETS).join(", ")}, or none for all`);
    Deno.exit(2);
  }
  const info = await resolveBuildInfo(Deno.env.toObject());
  const outDir = join(ROOT, "dist");
  console.error(`building talosctl-oidc ${info.version} (${info.commit}, ${info.date})`);
  try {
    await compileAll({ targets, outDir, info, dryRun });
  } catch (err) {
    console.error(`error: ${err instanceof Error ? err.message : err}`);
    Deno.exit(1);
  }
  if (!dryRun) console.log(await writeChecksums(outDir));
}
