/** @module Release build scripts: build info, the staged source copy, compile commands and checksums.txt. */

import { join } from "node:path";
import { assert, assertEquals, assertRejects, assertStringIncludes } from "../helpers/assert.ts";
import { renderBuildInfo, resolveBuildInfo, ROOT, stageSource } from "../../scripts/build_info.ts";
import {
  assetName,
  compileArgs,
  PERMISSIONS,
  TARGETS,
  UNSTABLE_FLAGS,
  V8_FLAGS,
  writeChecksums,
} from "../../scripts/compile.ts";
import { runProgram, tempDir } from "./support.ts";

const INFO = { version: "v1.2.3", commit: "0123456789abcdef0123456789abcdef01234567", date: "2026-01-02T03:04:05Z" };

async function git(cwd: string, ...args: string[]) {
  const r = await runProgram("git", ["-c", "user.email=t@example.com", "-c", "user.name=t", ...args], { cwd });
  assertEquals(r.code, 0, r.stderr);
  return r.stdout.trim();
}

async function exists(path: string): Promise<boolean> {
  return await Deno.lstat(path).then(() => true, () => false);
}

Deno.test("resolveBuildInfo() takes VERSION, COMMIT and SOURCE_DATE_EPOCH from the environment", async () => {
  const info = await resolveBuildInfo({ VERSION: "v2.0.0-rc.1", COMMIT: "abc123", SOURCE_DATE_EPOCH: "1767225600" });
  assertEquals(info, { version: "v2.0.0-rc.1", commit: "abc123", date: "2026-01-01T00:00:00Z" });
});

Deno.test("resolveBuildInfo() falls back to git describe --tags and the HEAD commit, then to dev/unknown", async () => {
  await using tmp = await tempDir();
  const none = await resolveBuildInfo({}, tmp.path, new Date("2026-03-04T05:06:07.890Z"));
  assertEquals(none, { version: "dev", commit: "unknown", date: "2026-03-04T05:06:07Z" });
  await git(tmp.path, "init", "-q");
  await Deno.writeTextFile(join(tmp.path, "f"), "x");
  await git(tmp.path, "add", "f");
  await git(tmp.path, "commit", "-q", "-m", "one");
  await git(tmp.path, "tag", "v9.8.7");
  const head = await git(tmp.path, "rev-parse", "HEAD");
  const at = new Date("2026-03-04T05:06:07Z");
  assertEquals(await resolveBuildInfo({}, tmp.path, at), {
    version: "v9.8.7",
    commit: head,
    date: "2026-03-04T05:06:07Z",
  });
});

Deno.test("resolveBuildInfo() refuses a version that could not be a tag", async () => {
  await assertRejects(() => resolveBuildInfo({ VERSION: 'v1"; Deno.exit()' }), (e) => e instanceof RangeError);
  await assertRejects(() => resolveBuildInfo({ VERSION: "v1", SOURCE_DATE_EPOCH: "yesterday" }));
});

Deno.test("renderBuildInfo() writes a module that exports exactly the given values", async () => {
  await using tmp = await tempDir();
  const file = join(tmp.path, "build_info.ts");
  await Deno.writeTextFile(file, renderBuildInfo(INFO));
  const mod = await import(`file://${file}`);
  assertEquals(mod.BUILD, INFO);
  assert(Object.isFrozen(mod.BUILD));
});

Deno.test("stageSource() copies the sources and runtime packages only, and never touches the working tree", async () => {
  const before = await Deno.readTextFile(join(ROOT, "shared/build_info.ts"));
  let dir = "";
  {
    await using staged = await stageSource(INFO);
    dir = staged.dir;
    for (const p of ["main.ts", "deno.json", "package.json", "shared", "server", "client"]) {
      assert(await exists(join(dir, p)), `${p} is staged`);
    }
    for (const p of ["tests", "demo", "scripts", "docs", "charts", ".git"]) {
      assert(!(await exists(join(dir, p))), `${p} is not`);
    }
    for (const p of ["@peculiar/x509"]) assert(await exists(join(dir, "node_modules", p)), p);
    for (const p of ["hono", "jose", "yaml", "@grpc/grpc-js", "protobufjs"]) {
      assert(await exists(join(dir, "node_modules", p)), p);
    }
    // @types/node is not in this list: protobufjs (the Talos API backend's proto parser) depends on it at runtime.
    for (const p of ["oidc-provider", "playwright-core", "kubernetes-models", "deno"]) {
      assert(!(await exists(join(dir, "node_modules", p))), `dev package ${p} is not staged`);
    }
    assertEquals(await Deno.readTextFile(join(dir, "shared/build_info.ts")), renderBuildInfo(INFO));
  }
  assert(!(await exists(dir)), "the staging dir is removed");
  assertEquals(await Deno.readTextFile(join(ROOT, "shared/build_info.ts")), before);
});

Deno.test("compileArgs() cross-compiles each target with the baked permissions and the asset name", () => {
  assertEquals(Object.keys(TARGETS), ["linux-amd64", "linux-arm64", "darwin-amd64", "darwin-arm64", "windows-amd64"]);
  assertEquals(compileArgs("windows-amd64", "/out"), [
    "compile",
    "--target",
    "x86_64-pc-windows-msvc",
    ...PERMISSIONS,
    ...UNSTABLE_FLAGS,
    V8_FLAGS,
    "--output",
    "/out/talosctl-oidc-windows-amd64.exe",
    "main.ts",
  ]);
  assertEquals(UNSTABLE_FLAGS, ["--unstable-net"], "the serve workers' shared plain HTTP port (Deno.listen reusePort)");
  assertEquals(assetName("darwin-arm64"), "talosctl-oidc-darwin-arm64");
  assert(PERMISSIONS.includes("--no-prompt") && !PERMISSIONS.some((p) => p === "-A" || p.startsWith("--allow-all")));
});

Deno.test("`deno task serve` runs the server with the same V8 flags as the binaries, and this Deno accepts them", async () => {
  const tasks = JSON.parse(await Deno.readTextFile(join(ROOT, "deno.json"))).tasks as Record<string, string>;
  assertEquals(tasks.serve, `./node_modules/.bin/deno run -A ${V8_FLAGS} main.ts serve`);
  const r = await runProgram(Deno.execPath(), ["run", V8_FLAGS, "-A", join(ROOT, "main.ts"), "version"]);
  assertEquals(r.code, 0, r.stderr); // an unknown V8 flag makes Deno exit 1 before the program starts
  assertStringIncludes(r.stdout, "talosctl-oidc ");
  assertStringIncludes(await Deno.readTextFile(join(ROOT, "docs/install.md")), V8_FLAGS); // the bundle's serve line
});

Deno.test("compile.ts --dry-run plans one deno compile per target from the staged copy", async () => {
  const r = await runProgram(Deno.execPath(), ["run", "-A", join(ROOT, "scripts/compile.ts"), "--dry-run"], {
    env: { PATH: Deno.env.get("PATH")!, HOME: Deno.env.get("HOME") ?? "/tmp", VERSION: "v1.2.3", NO_COLOR: "1" },
  });
  assertEquals(r.code, 0, r.stderr);
  assertStringIncludes(r.stderr, "building talosctl-oidc v1.2.3");
  const plans = r.stderr.split("\n").filter((l) => l.startsWith("would run: deno compile"));
  assertEquals(plans.length, 5);
  for (const [key, triple] of Object.entries(TARGETS)) {
    assert(plans.some((p) => p.includes(`--target ${triple} `) && p.includes(`/dist/${assetName(key)} main.ts`)), key);
  }
});

Deno.test("compile.ts rejects an unknown target with exit 2 and the list of targets", async () => {
  const r = await runProgram(Deno.execPath(), ["run", "-A", join(ROOT, "scripts/compile.ts"), "linux-riscv64"]);
  assertEquals(r.code, 2);
  assertStringIncludes(r.stderr, 'error: unknown target "linux-riscv64"');
  assertStringIncludes(r.stderr, "linux-amd64, linux-arm64, darwin-amd64, darwin-arm64, windows-amd64");
});

Deno.test("writeChecksums() writes a checksums.txt that sha256sum -c accepts", async () => {
  await using tmp = await tempDir();
  await Deno.writeTextFile(join(tmp.path, "talosctl-oidc-linux-amd64"), "binary one");
  await Deno.writeFile(
    join(tmp.path, "talosctl-oidc-windows-amd64.exe"),
    new Uint8Array(200_000).fill(7),
  );
  await Deno.writeTextFile(join(tmp.path, "checksums.txt"), "stale");
  const text = await writeChecksums(tmp.path);
  assertEquals(text.split("\n").filter(Boolean).map((l) => l.split("  ")[1]), [
    "talosctl-oidc-linux-amd64",
    "talosctl-oidc-windows-amd64.exe",
  ]);
  const r = await runProgram("sha256sum", ["-c", "checksums.txt"], { cwd: tmp.path });
  assertEquals(r.code, 0, r.stdout + r.stderr);
});
