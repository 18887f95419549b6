/** @module GitHub workflows: pinned actions, shellcheck-clean run steps, release pipeline shape, yamllint. */

import { join } from "node:path";
import { parse } from "yaml";
import { assert, assertEquals, assertMatch } from "../helpers/assert.ts";
import { runProgram, tempDir } from "./support.ts";

const DIR = new URL("../../.github/workflows/", import.meta.url).pathname;
const FILES = ["ci.yml", "release.yml"];

interface Step {
  uses?: string;
  run?: string;
  env?: Record<string, string>;
}
interface Job {
  needs?: string | string[];
  steps: Step[];
  permissions?: Record<string, string>;
}
interface Workflow {
  on: Record<string, unknown>;
  permissions: Record<string, string>;
  jobs: Record<string, Job>;
}

async function load(name: string): Promise<{ text: string; wf: Workflow }> {
  const text = await Deno.readTextFile(join(DIR, name));
  return { text, wf: parse(text) };
}

Deno.test("every action in the workflows is pinned to a full commit SHA with its version in a comment", async () => {
  for (const name of FILES) {
    const { text } = await load(name);
    const uses = [...text.matchAll(/uses:\s*(\S+)(.*)$/gm)];
    assert(uses.length > 0);
    for (const [, ref, rest] of uses) {
      assertMatch(ref!, /^[\w.-]+\/[\w.-]+@[0-9a-f]{40}$/, `${name}: ${ref} is pinned by SHA`);
      assertMatch(rest!, /^ # v\d+\.\d+\.\d+$/, `${name}: ${ref} names its version`);
    }
  }
});

Deno.test("every run step passes shellcheck and takes GitHub expressions only through env", async () => {
  await using tmp = await tempDir();
  for (const name of FILES) {
    const { wf } = await load(name);
    for (const [jobName, job] of Object.entries(wf.jobs)) {
      for (const [i, step] of job.steps.entries()) {
        if (!step.run) continue;
        assert(!step.run.includes("${{"), `${name} ${jobName} step ${i}: pass \${{ }} through env, not inline`);
        // GitHub runs `bash --noprofile --norc -eo pipefail {0}`; declare the env the step and workflow set.
        const vars = [...Object.keys(wf["env" as keyof Workflow] ?? {}), ...Object.keys(step.env ?? {})];
        const script = join(tmp.path, `${name}-${jobName}-${i}.sh`);
        const header = `#!/usr/bin/env bash\nset -eo pipefail\n${vars.map((v) => `: "\${${v}:?}"`).join("\n")}\n`;
        await Deno.writeTextFile(script, header + step.run);
        const r = await runProgram("shellcheck", ["-s", "bash", "-e", "SC2154", script]);
        assertEquals(r.code, 0, `${name} ${jobName} step ${i}:\n${r.stdout}`);
      }
    }
  }
});

Deno.test("ci runs the test script on pushes to main and on pull requests, with read-only permissions", async () => {
  const { wf } = await load("ci.yml");
  assertEquals(wf.on, { push: { branches: ["main"] }, pull_request: null });
  assertEquals(wf.permissions, { contents: "read" });
  const runs = wf.jobs.test!.steps.map((s) => s.run).filter(Boolean);
  assertEquals(runs, ["npm ci --no-audit --no-fund", "bash scripts/test.sh"]);
});

Deno.test("release runs on v* tags: tests, compiles, publishes checksums.txt and opens the tap PR", async () => {
  const { wf } = await load("release.yml");
  assertEquals(wf.on, { push: { tags: ["v*"] } });
  assertEquals(wf.permissions, { contents: "read" }, "jobs ask for more only where they need it");
  const runs = (job: string) => wf.jobs[job]!.steps.map((s) => s.run ?? "").join("\n");
  assert(runs("test").includes("bash scripts/test.sh"));
  assertEquals(wf.jobs.build!.needs, "test");
  assert(runs("build").includes("deno run -A scripts/bundle.ts") && runs("build").includes("scripts/compile.ts\n"));
  assert(runs("release").includes("sha256sum -- * > checksums.txt"));
  assert(runs("release").includes('gh release create "$TAG"'));
  const writers = Object.entries(wf.jobs).filter(([, j]) => j.permissions?.contents === "write").map(([n]) => n);
  assertEquals(writers, ["release"]);
  const brew = wf.jobs.homebrew!;
  assertEquals(brew.needs, "release");
  const tapStep = brew.steps.find((s) => s.run?.includes("update_formula.ts"))!;
  assertEquals(tapStep.env, { TAP_GITHUB_TOKEN: "${{ secrets.TAP_GITHUB_TOKEN }}" });
  assert(tapStep.run!.includes('tap="${GITHUB_REPOSITORY_OWNER}/homebrew-tap"'));
  assert(tapStep.run!.includes("--checksums dist/checksums.txt") && tapStep.run!.includes("gh pr create"));
});

Deno.test("the workflows pass yamllint", async () => {
  const config = JSON.stringify({
    extends: "default",
    rules: {
      "line-length": { max: 120 },
      "document-start": "disable",
      "truthy": { "check-keys": false },
      "braces": { "max-spaces-inside": 1 },
      "brackets": { "max-spaces-inside": 1 },
      "comments": { "min-spaces-from-content": 1 },
    },
  });
  const r = await runProgram("yamllint", ["-s", "-d", config, ...FILES.map((f) => join(DIR, f))]);
  assertEquals(r.code, 0, r.stdout);
});
