/** @module install.sh against a local fake release: verified install, tampering, platforms, wget-only hosts. */

import { join } from "node:path";
import { assert, assertEquals, assertMatch, assertStringIncludes } from "../helpers/assert.ts";
import { runProgram, serveFakeRelease, sha256Hex, tempDir } from "./support.ts";

const INSTALL_SH = new URL("../../install.sh", import.meta.url).pathname;
const TAG = "v1.2.3";
const ASSET = "talosctl-oidc-linux-amd64";
/** Stand-in for the compiled binary (deno compile cannot run here): prints what `version` prints. */
const BINARY = `#!/bin/sh\nprintf 'talosctl-oidc ${TAG}\\n  commit: abc\\n  built:  2026-01-01T00:00:00Z\\n'\n`;

async function release(binary = BINARY, checksumOf = BINARY, asset = ASSET) {
  const sums = `${await sha256Hex(checksumOf)}  ${asset}\n${await sha256Hex("other")}  talosctl-oidc-darwin-arm64\n`;
  return serveFakeRelease(TAG, { [ASSET]: binary, "checksums.txt": sums });
}

/**
 * A PATH dir holding only the given tools (symlinks to the real ones) and the shell shims, which replace tools of
 * the same name. Shims are created new (`createNew`), so a write can never go through a symlink to a real tool.
 */
async function toolDir(root: string, tools: string[], shims: Record<string, string> = {}): Promise<string> {
  const dir = join(root, "bin");
  await Deno.mkdir(dir);
  for (const t of tools.filter((t) => !(t in shims))) {
    const which = await runProgram("sh", ["-c", `command -v ${t}`]);
    await Deno.symlink(which.stdout.trim(), join(dir, t));
  }
  for (const [name, body] of Object.entries(shims)) {
    await Deno.writeTextFile(join(dir, name), `#!/bin/sh\n${body}\n`, { mode: 0o755, createNew: true });
  }
  return dir;
}

const BASE_TOOLS = ["sh", "uname", "mktemp", "rm", "mkdir", "chmod", "mv", "cp", "awk", "cut", "sha256sum", "cat"];

async function listDir(path: string): Promise<string[]> {
  const names: string[] = [];
  for await (const e of Deno.readDir(path)) names.push(e.name);
  return names.sort();
}

Deno.test("install.sh piped to sh installs the latest release after verifying its checksum, and it runs", async () => {
  await using tmp = await tempDir();
  await using rel = await release();
  const bin = await toolDir(tmp.path, [...BASE_TOOLS, "curl"], { uname: '[ "$1" = -m ] && echo x86_64 || echo Linux' });
  const dest = join(tmp.path, "dest"), tmpdir = join(tmp.path, "tmp");
  await Deno.mkdir(tmpdir);
  const env = { PATH: bin, HOME: tmp.path, TMPDIR: tmpdir, INSTALL_DIR: dest, TALOSCTL_OIDC_RELEASE_URL: rel.url };
  const r = await runProgram("/bin/sh", ["-s"], { env, stdin: await Deno.readTextFile(INSTALL_SH) });
  assertEquals(r.code, 0, r.stderr);
  assertEquals(await Deno.readTextFile(join(dest, "talosctl-oidc")), BINARY);
  assertEquals((await Deno.stat(join(dest, "talosctl-oidc"))).mode! & 0o777, 0o755);
  assertStringIncludes(r.stdout, `talosctl-oidc ${TAG}\n  commit: abc`);
  assertStringIncludes(r.stderr, "checksum verified");
  assertStringIncludes(r.stderr, `${dest} is not on your PATH`);
  assertEquals(rel.requests, [
    `/latest/download/${ASSET}`,
    `/download/${TAG}/${ASSET}`,
    "/latest/download/checksums.txt",
    `/download/${TAG}/checksums.txt`,
  ]);
  assertEquals(await listDir(tmpdir), [], "the temp dir is removed");
  assertEquals(await listDir(dest), ["talosctl-oidc"]);
});

Deno.test("install.sh refuses a tampered binary, says so and installs nothing", async () => {
  await using tmp = await tempDir();
  await using rel = await release(BINARY.replace("abc", "evil"));
  const dest = join(tmp.path, "dest"), tmpdir = join(tmp.path, "tmp");
  await Deno.mkdir(tmpdir);
  const env = {
    PATH: "/usr/bin:/bin",
    HOME: tmp.path,
    TMPDIR: tmpdir,
    INSTALL_DIR: dest,
    TALOSCTL_OIDC_RELEASE_URL: rel.url,
  };
  const r = await runProgram("/bin/sh", [INSTALL_SH], { env });
  assertEquals(r.code, 1);
  assertMatch(
    r.stderr,
    /error: checksum mismatch for "talosctl-oidc-linux-amd64": expected [0-9a-f]{64}, got [0-9a-f]{64}/,
  );
  assertStringIncludes(r.stderr, "nothing was installed");
  assert(!(await Deno.stat(dest).then(() => true, () => false)), "no install dir was created");
  assertEquals(await listDir(tmpdir), [], "the temp dir is removed");
});

Deno.test("install.sh refuses a release whose checksums.txt has no entry for the asset", async () => {
  await using tmp = await tempDir();
  await using rel = await release(BINARY, BINARY, "talosctl-oidc-linux-arm64");
  const dest = join(tmp.path, "dest");
  const env = { PATH: "/usr/bin:/bin", HOME: tmp.path, INSTALL_DIR: dest, TALOSCTL_OIDC_RELEASE_URL: rel.url };
  const r = await runProgram("/bin/sh", [INSTALL_SH], { env });
  assertEquals(r.code, 1);
  assertStringIncludes(r.stderr, 'checksums.txt has no entry for "talosctl-oidc-linux-amd64"');
  assert(!(await Deno.stat(dest).then(() => true, () => false)));
});

Deno.test("install.sh fails clearly on an unknown architecture before downloading anything", async () => {
  await using tmp = await tempDir();
  await using rel = await release();
  const bin = await toolDir(tmp.path, [...BASE_TOOLS, "curl"], {
    uname: '[ "$1" = -m ] && echo riscv64 || echo Linux',
  });
  const env = { PATH: bin, HOME: tmp.path, INSTALL_DIR: join(tmp.path, "d"), TALOSCTL_OIDC_RELEASE_URL: rel.url };
  const r = await runProgram("/bin/sh", [INSTALL_SH], { env });
  assertEquals(r.code, 1);
  assertStringIncludes(
    r.stderr,
    'error: unsupported architecture "riscv64": prebuilt binaries exist for amd64 and arm64',
  );
  assertEquals(rel.requests, []);
});

Deno.test("install.sh sends Windows users to the .exe asset", async () => {
  await using tmp = await tempDir();
  const bin = await toolDir(tmp.path, BASE_TOOLS, { uname: '[ "$1" = -m ] && echo x86_64 || echo MINGW64_NT-10.0' });
  const r = await runProgram("/bin/sh", [INSTALL_SH], { env: { PATH: bin, HOME: tmp.path } });
  assertEquals(r.code, 1);
  assertStringIncludes(r.stderr, "talosctl-oidc-windows-amd64.exe");
});

Deno.test("install.sh works on a host with wget but no curl, and takes VERSION without the v", async () => {
  await using tmp = await tempDir();
  await using rel = await release();
  const bin = await toolDir(tmp.path, [...BASE_TOOLS, "wget"], { uname: '[ "$1" = -m ] && echo amd64 || echo Linux' });
  const dest = join(tmp.path, "dest");
  const env = { PATH: bin, HOME: tmp.path, VERSION: "1.2.3", INSTALL_DIR: dest, TALOSCTL_OIDC_RELEASE_URL: rel.url };
  const r = await runProgram("/bin/sh", [INSTALL_SH], { env });
  assertEquals(r.code, 0, r.stderr);
  assertEquals(await Deno.readTextFile(join(dest, "talosctl-oidc")), BINARY);
  assertEquals(rel.requests, [`/download/${TAG}/${ASSET}`, `/download/${TAG}/checksums.txt`]);
});

Deno.test("install.sh fails clearly when neither curl nor wget is installed", async () => {
  await using tmp = await tempDir();
  const bin = await toolDir(tmp.path, BASE_TOOLS, { uname: '[ "$1" = -m ] && echo x86_64 || echo Linux' });
  const r = await runProgram("/bin/sh", [INSTALL_SH], { env: { PATH: bin, HOME: tmp.path, INSTALL_DIR: tmp.path } });
  assertEquals(r.code, 1);
  assertStringIncludes(r.stderr, "error: neither curl nor wget is installed");
});

Deno.test("install.sh passes shellcheck as POSIX sh", async () => {
  const r = await runProgram("shellcheck", ["--shell=sh", "--severity=style", INSTALL_SH]);
  assertEquals(r.code, 0, r.stdout + r.stderr);
});
