/** @module Dockerfile structure (no docker here): distroless nonroot final stage, the compiled binary, exec entrypoint. */

import { assert, assertEquals } from "../helpers/assert.ts";
import { assetName } from "../../scripts/compile.ts";

const ROOT = new URL("../..", import.meta.url).pathname;

interface Instruction {
  op: string;
  args: string;
}

/** Instructions per stage, with line continuations joined and comments dropped. */
async function stages(): Promise<Instruction[][]> {
  const text = (await Deno.readTextFile(`${ROOT}Dockerfile`)).replace(/\\\n\s*/g, " ");
  const out: Instruction[][] = [];
  for (const line of text.split("\n").map((l) => l.trim())) {
    if (!line || line.startsWith("#")) continue;
    const [op, ...rest] = line.split(/\s+/);
    if (op!.toUpperCase() === "FROM") out.push([]);
    out.at(-1)!.push({ op: op!.toUpperCase(), args: rest.join(" ") });
  }
  return out;
}

Deno.test("the Dockerfile's final stage is distroless cc nonroot with the compiled binary and an exec entrypoint", async () => {
  const all = await stages();
  const final = all.at(-1)!;
  const get = (op: string) => final.filter((i) => i.op === op).map((i) => i.args);
  assertEquals(get("FROM"), ["gcr.io/distroless/cc-debian12:nonroot"]);
  assertEquals(get("USER"), ["nonroot:nonroot"]);
  assertEquals(get("EXPOSE"), ["8443"]);
  assertEquals(get("ENTRYPOINT").map((a) => JSON.parse(a)), [["/talosctl-oidc", "serve"]]);
  assertEquals(get("RUN"), [], "distroless has no shell: nothing may RUN in the final stage");
  const copy = get("COPY").find((a) => a.endsWith(" /talosctl-oidc"))!;
  assertEquals(copy, "--chmod=0555 dist/talosctl-oidc-linux-${TARGETARCH} /talosctl-oidc");
  for (const arch of ["amd64", "arm64"]) {
    assertEquals(copy.split(" ")[1]!.replace("${TARGETARCH}", arch), `dist/${assetName(`linux-${arch}`)}`);
  }
});

Deno.test("the Dockerfile uses no ADD, no latest tags, and runs helper stages on the build platform only", async () => {
  const all = await stages();
  for (const stage of all) {
    const from = stage[0]!.args;
    assert(!/:latest\b/.test(from) && /:[\w.-]+/.test(from), `"${from}" has an explicit tag`);
    assertEquals(stage.filter((i) => i.op === "ADD"), []);
    if (stage !== all.at(-1) && stage.some((i) => i.op === "RUN")) {
      assert(from.startsWith("--platform=$BUILDPLATFORM "), `"${from}" runs natively, without emulation`);
    }
  }
});

Deno.test(".dockerignore sends only the two linux binaries as build context", async () => {
  const rules = (await Deno.readTextFile(`${ROOT}.dockerignore`)).split("\n").filter((l) => l && !l.startsWith("#"));
  assertEquals(rules, ["*", `!dist/${assetName("linux-amd64")}`, `!dist/${assetName("linux-arm64")}`]);
});
