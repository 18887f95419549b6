/** @module The demo, run as people run it (`deno run -A main.ts demo`), from a fresh temp HOME: the round trip works. */

import { fileURLToPath } from "node:url";
import { assert, assertEquals, assertMatch, assertStringIncludes } from "./helpers/assert.ts";
import { browserCommand, cliEnv, makeHome, runCli } from "./helpers/cli.ts";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const ENTRY = "main.ts";

function demo(args: string[], home: string): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", ENTRY, "demo", ...args],
    cwd: ROOT,
    clearEnv: true,
    env: cliEnv(home),
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

async function finish(child: Deno.ChildProcess): Promise<{ code: number; stdout: string; stderr: string }> {
  const r = await child.output();
  const dec = new TextDecoder();
  return { code: r.code, stdout: dec.decode(r.stdout), stderr: dec.decode(r.stderr) };
}

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

function demoDir(stderr: string): string {
  return stderr.match(/with its files in DEMO=(\S+)/)?.[1] ?? `(no DEMO= in:\n${stderr})`;
}

Deno.test("demo --headless signs alice in through the demo IdP and the apid stand-in answers os:admin", async () => {
  await using home = await makeHome();
  const r = await finish(demo(["--headless"], home.path));
  assertEquals(r.code, 0, r.stderr);
  const [talos, ...kubectl] = r.stdout.split("\n$ kubectl auth whoami\n");
  assertEquals(talos, "you are alice@example.com, roles os:admin");
  // kubectl through the stand-in, with the kubeconfig kube setup wrote and the token that one login cached.
  assertMatch(kubectl.join(""), /Username\s+oidc:alice@example\.com\n/);
  assertMatch(kubectl.join(""), /Groups\s+\[oidc:talos-admins oidc:devs system:authenticated\]/);
  assertStringIncludes(r.stderr, "RBAC: talos-admins -> os:admin, talos-readers -> os:reader, anyone else refused");
  assertMatch(r.stderr, /Talosconfig updated|Config written to/);
  assert(!(await exists(demoDir(r.stderr))), "the demo removed its temp dir");
  assertEquals([...Deno.readDirSync(home.path)].map((e) => e.name), [], "nothing written to HOME");
  // The README's Quick start shows what this printed, line for line (ports, paths, URL and times aside).
  const readme = await Deno.readTextFile(new URL("../README.md", import.meta.url));
  const shown = readme.split("\n```\nTask demo ")[1]?.split("\n```\n")[0]?.split("\n").slice(1).join("\n");
  assert(shown, "no demo --headless transcript in README.md");
  assertEquals(normalise(shown), normalise(r.stderr + r.stdout));
});

/** What differs between two runs of the demo: ports, the temp dir, the sign-in URL, times; and column padding. */
function normalise(text: string): string[] {
  return text.trim().split("\n").map((l) =>
    l.replace(/^ +http:\/\/127\.0\.0\.1:\d+\/auth\?.*$/, "URL").replace(/127\.0\.0\.1:\d+/g, "ADDR")
      .replace(/talosctl-oidc-demo-[0-9a-f]+/g, "DIR").replace(/\d{4}-\d\d-\d\dT[\d:.]+Z/g, "TIME")
      .replace(/in \d+m\d+s/, "in DURATION").replace(/ {2,}/g, "  ")
  );
}

Deno.test("demo --talos-api --headless issues through the Talos API stand-in: the server holds no CA, whoami works", async () => {
  await using home = await makeHome();
  const r = await finish(demo(["--talos-api", "--headless"], home.path));
  assertEquals(r.code, 0, r.stderr);
  assertMatch(
    r.stdout,
    /^you are \(no name in the certificate: the Talos API puts only roles in it\), roles os:admin\n/,
  );
  assertMatch(r.stderr, /Talos API stand-in \(gRPC\) 127\.0\.0\.1:\d+ +mutual TLS, os:admin callers only/);
  assertStringIncludes(r.stderr, "the server holds no CA, only its os:admin talosconfig $DEMO/talos-api-credential");
  assertStringIncludes(r.stderr, "(key from server)");
  assert(!r.stderr.includes("Talos OS CA (Ed25519)"), "no CA is shown in Talos API mode");
  assert(!(await exists(demoDir(r.stderr))), "the demo removed its temp dir");
});

Deno.test("demo --headless --user mallory fails: no RBAC rule matches her groups", async () => {
  await using home = await makeHome();
  const r = await finish(demo(["--headless", "--user", "mallory"], home.path));
  assertEquals(r.code, 1, r.stderr);
  assertEquals(r.stdout, "");
  assertMatch(r.stderr, /error: .*403.*no roles assigned/);
  assert(!(await exists(demoDir(r.stderr))), "the demo removed its temp dir");
});

Deno.test("the commands the interactive demo prints work as printed, and Ctrl-C stops it and removes its files", async () => {
  await using home = await makeHome();
  const child = demo([], home.path);
  const err = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let banner = "";
  while (!banner.includes("Ctrl-C stops the demo")) {
    const { value, done } = await err.read();
    if (done) throw new Error(`demo exited early:\n${banner}`);
    banner += value;
  }
  const commands = banner.replace(/ \\\n\s+/g, " ").split("\n").map((l) => l.trim())
    .filter((l) => / run -A main\.ts (login|demo whoami) /.test(l)).map((l) => l.split(/ run -A main\.ts /)[1]!);
  assertEquals(commands.length, 2, banner);
  assertMatch(banner, /stand-in for\n +"talosctl --context talosctl-oidc-demo get members" against a real cluster/);
  const argv = (line: string) => line.split(" ").filter(Boolean);
  await using user = await makeHome();
  const login = await runCli([
    ...argv(commands[0]!),
    ...["--browser-command", browserCommand("walk", { user: "bob" }), "--callback-port", "0"],
  ], { home: user.path });
  assertEquals(login.code, 0, login.stderr);
  const who = await runCli(argv(commands[1]!), { home: user.path });
  assertEquals([who.code, who.stdout], [0, "you are bob@example.com, roles os:reader\n"], who.stderr);
  const kubectlLine = banner.split("\n").map((l) => l.trim()).find((l) => l.startsWith("kubectl --kubeconfig "));
  assert(kubectlLine, banner);
  const k = await new Deno.Command("kubectl", {
    args: argv(kubectlLine).slice(1),
    clearEnv: true,
    env: cliEnv(user.path),
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  assertEquals(k.code, 0, new TextDecoder().decode(k.stderr));
  assertMatch(new TextDecoder().decode(k.stdout), /Username\s+oidc:bob@example\.com/);

  child.kill("SIGINT");
  let rest = "";
  for (let r = await err.read(); !r.done; r = await err.read()) rest += r.value;
  const { code } = await child.status;
  await child.stdout.cancel();
  assertEquals(code, 0, rest);
  assertStringIncludes(rest, "Stopping the demo");
  assert(!(await exists(demoDir(banner))), "Ctrl-C removed the demo's temp dir");
});

Deno.test("the Quick start says that demo whoami stands in for talosctl, where talosctl comes from, which Node.js", async () => {
  const readme = await Deno.readTextFile(new URL("../README.md", import.meta.url));
  const quickStart = readme.split("## Quick start\n")[1]!.split("\n## ")[0]!;
  assertMatch(quickStart, /`demo whoami` is the demo's stand-in for\s+`talosctl --context oidc get members`/);
  assertMatch(
    quickStart,
    /\[install talosctl\]\(https:\/\/docs\.siderolabs\.com\/talos\/v[\d.]+\/getting-started\/talosctl\)/,
  );
  assertMatch(quickStart, /Node\.js 20 or later/);
});
