/** @module Single-file build: `deno bundle` of a staged source copy to dist/talosctl-oidc.js, then a smoke run. */

import { join, resolve } from "node:path";
import { type BuildInfo, resolveBuildInfo, ROOT, stageSource } from "./build_info.ts";
import { PERMISSIONS, V8_FLAGS } from "./compile.ts";

export interface BundleOptions {
  /** Output file; default `dist/talosctl-oidc.js`. */
  output: string;
  info: BuildInfo;
  deno?: string;
  log?: (line: string) => void;
}

async function run(deno: string, args: string[], cwd?: string, env: Record<string, string> = {}) {
  const out = await new Deno.Command(deno, {
    args,
    cwd,
    env: { RUST_BACKTRACE: "0", NO_COLOR: "1", ...env },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/**
 * Bundle main.ts with its npm dependencies inlined (esbuild via `deno bundle`); the output needs
 * nothing but a Deno runtime: `deno run <permissions> talosctl-oidc.js <command>`.
 */
export async function bundle(opts: BundleOptions): Promise<void> {
  const deno = opts.deno ?? Deno.execPath();
  const log = opts.log ?? ((l: string) => console.error(l));
  await using staged = await stageSource(opts.info);
  await Deno.mkdir(resolve(opts.output, ".."), { recursive: true });
  const args = ["bundle", "--quiet", "--platform", "deno", "--output", resolve(opts.output), "main.ts"];
  log(`running: deno ${args.join(" ")}   (in ${staged.dir})`);
  const out = await run(deno, args, staged.dir);
  if (out.code !== 0) throw new Error(`deno bundle failed with exit code ${out.code}:\n${out.stderr}`);
}

/**
 * Run `version` from the bundle with the binary's permissions and V8 flags and check it reports the build info.
 * @throws {Error} when the bundle does not start or prints something else.
 */
async function smokeTest(output: string, info: BuildInfo, deno = Deno.execPath()): Promise<string> {
  const out = await run(deno, ["run", ...PERMISSIONS, V8_FLAGS, resolve(output), "version"]);
  const expected = `talosctl-oidc ${info.version}\n  commit: ${info.commit}\n  built:  ${info.date}\n`;
  if (out.code !== 0 || out.stdout !== expected) {
    throw new Error(`smoke run of ${output} failed (exit ${out.code}):\n${out.stdout}${out.stderr}`);
  }
  return out.stdout;
}

if (import.meta.main) {
  const i = Deno.args.indexOf("--output");
  const output = i >= 0 && Deno.args[i + 1] ? resolve(Deno.args[i + 1]!) : join(ROOT, "dist", "talosctl-oidc.js");
  try {
    const info = await resolveBuildInfo(Deno.env.toObject());
    await bundle({ output, info });
    console.log((await smokeTest(output, info)).trimEnd());
    console.error(`wrote ${output}`);
  } catch (err) {
    console.error(`error: ${err instanceof Error ? err.message : err}`);
    Deno.exit(1);
  }
}
