/** @module The command table is the one source of each summary: root help, every --help and the completions agree. */

import { COMMANDS, rootHelp, runCli } from "../main.ts";
import { collectEntries } from "../client/commands/completion.ts";
import { assertEquals, assertStringIncludes } from "./helpers/assert.ts";

async function cli(args: string[]): Promise<{ code: number; out: string }> {
  let out = "";
  const code = await runCli({
    args,
    env: {},
    stdio: { stdout: (t) => void (out += t), stderr: () => {}, isTerminal: false },
    signal: new AbortController().signal,
  });
  return { code, out };
}

Deno.test("every command's --help opens with the summary root help and the completion scripts show", async () => {
  const root = rootHelp();
  const completion = new Map((await collectEntries(COMMANDS)).map((e) => [e.name, e.summary]));
  for (const [name, { summary }] of Object.entries(COMMANDS)) {
    const help = await cli([name, "--help"]);
    assertEquals(help.code, 0, name);
    assertEquals(help.out.split("\n").slice(0, 3), [summary, "", "Usage:"], name);
    assertStringIncludes(root, `  ${name} `);
    assertStringIncludes(root, ` ${summary}\n`);
    assertEquals(completion.get(name), summary);
  }
});

Deno.test("version --help prints the help of version, and version prints the version", async () => {
  assertStringIncludes((await cli(["version", "--help"])).out, "Usage:\n  talosctl-oidc version\n");
  assertStringIncludes((await cli(["version"])).out, "talosctl-oidc ");
});

Deno.test("a mistyped command gets the closest one by edit distance, not a guess from its first letters", async () => {
  const said = async (name: string) => {
    let err = "";
    const code = await runCli({
      args: [name],
      env: {},
      stdio: { stdout: () => {}, stderr: (t) => void (err += t), isTerminal: false },
      signal: new AbortController().signal,
    });
    assertEquals(code, 2);
    return err;
  };
  assertStringIncludes(await said("lgoin"), 'hint: did you mean "login"? run "talosctl-oidc --help"');
  assertStringIncludes(await said("stauts"), 'did you mean "status"?');
  assertEquals(
    await said("lo"),
    'error: unknown command "lo"\nhint: run "talosctl-oidc --help" for the list of commands\n',
  );
  assertEquals((await said("toString")).includes("did you mean"), false);
});

Deno.test("--help says env vars and profiles can be turned off only where a command has them (not demo)", async () => {
  const demo = (await cli(["demo", "--help"])).out;
  assertStringIncludes(demo, "On/off flags also take --no-NAME.\n");
  assertEquals(/env var|profile|\(env /.test(demo), false, demo);
  assertEquals(demo.includes("--context NAME"), false, "the old name is accepted, not listed");
  assertStringIncludes(demo, "--context-name NAME");
  const login = (await cli(["login", "--help"])).out;
  assertStringIncludes(login, "(e.g. to turn off a value set by an env var or a saved profile)");
  assertStringIncludes(login, "default $BROWSER");
});
