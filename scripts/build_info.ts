/** @module Release build inputs: resolve version/commit/date and stage a source copy carrying them. */

import { join, relative } from "node:path";

export interface BuildInfo {
  version: string;
  commit: string;
  date: string;
}

/** Repository root (this file lives in scripts/). */
export const ROOT = new URL("..", import.meta.url).pathname.replace(/\/$/, "");

/**
 * What the binary is built from. An allow-list on purpose: tests/, demo/ (npm oidc-provider) and the
 * packaging files are never staged, so they cannot end up in a bundle or a compiled binary even if
 * someone imports them with a literal specifier (the build then fails with "Module not found").
 */
export const SOURCE_PATHS = [
  "main.ts",
  "deno.json",
  "package.json",
  "package-lock.json",
  "deno.lock",
  "shared",
  "server",
  "client",
];

const SAFE = /^[0-9A-Za-z][0-9A-Za-z.+_~-]{0,127}$/;

async function git(args: string[], cwd: string): Promise<string | undefined> {
  try {
    const out = await new Deno.Command("git", { args, cwd, stdout: "piped", stderr: "null" }).output();
    return out.success ? new TextDecoder().decode(out.stdout).trim() : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Version: `VERSION` env, else `git describe --tags --match 'v*'`, else `dev`.
 * Commit: `COMMIT` env (CI passes github.sha), else `git rev-parse HEAD`, else `unknown`.
 * Date: UTC ISO-8601 of `SOURCE_DATE_EPOCH` when set (reproducible builds), else now.
 * @throws {RangeError} when a value carries characters that have no place in a version string.
 */
export async function resolveBuildInfo(
  env: Record<string, string | undefined>,
  cwd = ROOT,
  now = new Date(),
): Promise<BuildInfo> {
  const version = env.VERSION || (await git(["describe", "--tags", "--match", "v*"], cwd)) || "dev";
  const commit = env.COMMIT || (await git(["rev-parse", "HEAD"], cwd)) || "unknown";
  const epoch = env.SOURCE_DATE_EPOCH;
  if (epoch !== undefined && epoch !== "" && !/^\d+$/.test(epoch)) {
    throw new RangeError(`SOURCE_DATE_EPOCH must be whole seconds, got "${epoch}"`);
  }
  const when = epoch ? new Date(Number(epoch) * 1000) : now;
  const date = when.toISOString().replace(/\.\d{3}Z$/, "Z");
  for (const [name, value] of Object.entries({ version, commit })) {
    if (!SAFE.test(value)) throw new RangeError(`build ${name} "${value}" has unexpected characters`);
  }
  return { version, commit, date };
}

/** The text of shared/build_info.ts for the given values. */
export function renderBuildInfo(info: BuildInfo): string {
  const fields = `version: ${JSON.stringify(info.version)}, commit: ${JSON.stringify(info.commit)}, date: ${
    JSON.stringify(info.date)
  }`;
  return `/** @module Build-time values; scripts/build_info.ts rewrites this file for release builds. */\n` +
    `export const BUILD = Object.freeze({ ${fields} });\n`;
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    throw err;
  }
}

async function copyTree(from: string, to: string): Promise<void> {
  const st = await Deno.lstat(from);
  if (st.isSymlink) {
    await Deno.symlink(await Deno.readLink(from), to);
  } else if (st.isDirectory) {
    await Deno.mkdir(to, { recursive: true });
    for await (const e of Deno.readDir(from)) await copyTree(join(from, e.name), join(to, e.name));
  } else if (st.isFile) {
    await Deno.copyFile(from, to);
  }
}

/** node_modules paths package-lock.json marks as runtime (not `dev`): what the binary may embed. */
async function productionPackages(root = ROOT): Promise<string[]> {
  const lock = JSON.parse(await Deno.readTextFile(join(root, "package-lock.json")));
  const pkgs = lock.packages as Record<string, { dev?: boolean; devOptional?: boolean }>;
  return Object.entries(pkgs)
    .filter(([path, meta]) => path.startsWith("node_modules/") && !meta.dev && !meta.devOptional)
    .map(([path]) => path)
    .filter((path, _, all) => !all.some((other) => other !== path && path.startsWith(other + "/")))
    .sort();
}

export interface StagedSource extends AsyncDisposable {
  /** The staging directory: run `deno bundle` / `deno compile` on `<dir>/main.ts`. */
  dir: string;
}

/**
 * Copy the source allow-list and the production node_modules into a temp dir and write the build info
 * into its shared/build_info.ts. The working tree is never touched, so concurrent work and a failed
 * build cannot leave it dirty.
 */
export async function stageSource(info: BuildInfo, root = ROOT): Promise<StagedSource> {
  const dir = await Deno.makeTempDir({ prefix: "talosctl-oidc-build-" });
  try {
    for (const p of SOURCE_PATHS) {
      if (await exists(join(root, p))) await copyTree(join(root, p), join(dir, p));
    }
    for (const pkg of await productionPackages(root)) {
      if (await exists(join(root, pkg))) await copyTree(join(root, pkg), join(dir, pkg));
    }
    await Deno.writeTextFile(join(dir, "shared", "build_info.ts"), renderBuildInfo(info));
  } catch (err) {
    await Deno.remove(dir, { recursive: true });
    throw err;
  }
  return {
    dir,
    [Symbol.asyncDispose]: () => Deno.remove(dir, { recursive: true }),
  };
}

/** Path relative to the repo root, for messages. */
export function rel(path: string, root = ROOT): string {
  return relative(root, path) || ".";
}

if (import.meta.main) {
  const info = await resolveBuildInfo(Deno.env.toObject());
  console.log(JSON.stringify(info));
}
