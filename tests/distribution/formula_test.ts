/** @module Homebrew formula: update_formula.ts output checked by Ruby under a stub of Homebrew's DSL. */

import { join } from "node:path";
import { assert, assertEquals, assertMatch, assertStringIncludes } from "../helpers/assert.ts";
import { seededRandom } from "../helpers/seeded_random.ts";
import { runProgram, tempDir } from "./support.ts";

const ROOT = new URL("../..", import.meta.url).pathname;
const CHECK_RB = join(ROOT, "tests/distribution/formula_check.rb");
const UPDATE = join(ROOT, "scripts/update_formula.ts");
const ASSETS: Record<string, string> = {
  "macos/arm": "talosctl-oidc-darwin-arm64",
  "macos/intel": "talosctl-oidc-darwin-amd64",
  "linux/arm": "talosctl-oidc-linux-arm64",
  "linux/intel": "talosctl-oidc-linux-amd64",
};

interface PlatformReport {
  version: string;
  url: string;
  sha256: string;
  desc: string;
  homepage: string;
  license: string;
  has_test: boolean;
  installed: string[];
  test_passed: boolean;
  test_error?: string;
}

async function checkFormula(formula: string, work: string, printed?: string): Promise<Record<string, PlatformReport>> {
  const syntax = await runProgram("ruby", ["-wc", formula]);
  assertEquals(syntax.code, 0, syntax.stderr);
  const r = await runProgram("ruby", [CHECK_RB, formula, work, ...(printed ? [printed] : [])]);
  assertEquals(r.code, 0, r.stderr);
  return JSON.parse(r.stdout);
}

/** Fake release checksums: distinct per asset, the same on every run (TALOSCTL_OIDC_TEST_SEED varies them). */
const random = seededRandom(0xf0);
function randomHex(): string {
  return Array.from(random.bytes(32), (b) => b.toString(16).padStart(2, "0")).join("");
}

async function updateFormula(dir: string, sums: Record<string, string>, tag = "v1.4.2") {
  const checksums = join(dir, "checksums.txt");
  await Deno.writeTextFile(checksums, Object.entries(sums).map(([f, h]) => `${h}  ${f}\n`).join(""));
  const output = join(dir, "talosctl-oidc.rb");
  const args = ["run", "--allow-read", "--allow-write", UPDATE, "--tag", tag, "--repo", "acme/talosctl-oidc"];
  const r = await runProgram(Deno.execPath(), [...args, "--checksums", checksums, "--output", output]);
  return { ...r, output };
}

Deno.test("update_formula.ts writes a formula with the url, sha256 and version of each platform's binary", async () => {
  await using tmp = await tempDir();
  const sums = Object.fromEntries(
    [...Object.values(ASSETS), "talosctl-oidc-windows-amd64.exe"].map((a) => [a, randomHex()]),
  );
  const r = await updateFormula(tmp.path, sums);
  assertEquals(r.code, 0, r.stderr);
  const report = await checkFormula(r.output, join(tmp.path, "work"));
  assertEquals(Object.keys(report).sort(), Object.keys(ASSETS).sort());
  for (const [platform, asset] of Object.entries(ASSETS)) {
    const p = report[platform]!;
    assertEquals(p.url, `https://github.com/acme/talosctl-oidc/releases/download/v1.4.2/${asset}`, platform);
    assertMatch(p.sha256, /^[0-9a-f]{64}$/);
    assertEquals(p.sha256, sums[asset], platform);
    assertEquals(p.version, "1.4.2");
    assertEquals(p.license, "MIT");
    assertEquals(p.homepage, "https://github.com/acme/talosctl-oidc");
    assert(p.desc.length > 10 && p.desc.length < 80, "brew audit wants a short desc");
    assertEquals(p.installed, ["talosctl-oidc"], `${platform} installs the binary as talosctl-oidc`);
    assert(p.has_test && p.test_passed, `${platform} test block: ${p.test_error}`);
  }
});

Deno.test("the formula's test block fails when the installed binary reports another version", async () => {
  await using tmp = await tempDir();
  const sums = Object.fromEntries(Object.values(ASSETS).map((a) => [a, randomHex()]));
  const r = await updateFormula(tmp.path, sums);
  assertEquals(r.code, 0, r.stderr);
  const report = await checkFormula(r.output, join(tmp.path, "work"), "9.9.9");
  for (const p of Object.values(report)) {
    assertEquals(p.test_passed, false);
    assertStringIncludes(p.test_error ?? "", "talosctl-oidc v1.4.2");
  }
});

Deno.test("update_formula.ts refuses a checksums.txt that lacks one of the binaries", async () => {
  await using tmp = await tempDir();
  const sums = Object.fromEntries(Object.values(ASSETS).slice(1).map((a) => [a, randomHex()]));
  const r = await updateFormula(tmp.path, sums);
  assertEquals(r.code, 1);
  assertStringIncludes(r.stderr, 'checksums.txt has no entry for "talosctl-oidc-darwin-arm64"');
});

Deno.test("update_formula.ts refuses a tag that is not a v-prefixed version", async () => {
  await using tmp = await tempDir();
  const r = await updateFormula(
    tmp.path,
    Object.fromEntries(Object.values(ASSETS).map((a) => [a, randomHex()])),
    "1.4",
  );
  assertEquals(r.code, 1);
  assertStringIncludes(r.stderr, 'tag "1.4" is not a v-prefixed semantic version');
});

Deno.test("the committed Formula/talosctl-oidc.rb loads under the DSL stub with every field", async () => {
  await using tmp = await tempDir();
  const report = await checkFormula(join(ROOT, "Formula/talosctl-oidc.rb"), tmp.path);
  for (const [platform, asset] of Object.entries(ASSETS)) {
    const p = report[platform]!;
    assertMatch(p.url, new RegExp(`^https://github\\.com/[\\w.-]+/[\\w.-]+/releases/download/v${p.version}/${asset}$`));
    assertMatch(p.sha256, /^[0-9a-f]{64}$/);
    assert(p.test_passed, p.test_error);
  }
});
