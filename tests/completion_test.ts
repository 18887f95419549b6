/** @module Completion scripts parse in their shells, and a real bash offers the right words for partial command lines. */

import { COMMANDS } from "../main.ts";
import { type CommandTable, completionCommand } from "../client/commands/completion.ts";
import { assert, assertEquals, assertRejects, assertStringIncludes } from "./helpers/assert.ts";
import { runInProcess } from "./helpers/in_process.ts";
import { syntaxErrors } from "./helpers/syntax.ts";

/** The real command table, as main.ts passes it to the completion command. */
function table(): CommandTable {
  return COMMANDS;
}

async function generate(shell: string, commands: CommandTable = table()): Promise<string> {
  const r = await runInProcess(completionCommand(commands), [shell]);
  assertEquals(r.code, 0);
  return r.stdout;
}

async function has(cmd: string): Promise<boolean> {
  try {
    return (await new Deno.Command(cmd, { args: ["--version"], stdout: "null", stderr: "null" }).output()).success;
  } catch {
    return false;
  }
}

async function sh(cmd: string, args: string[], stdin?: string): Promise<{ code: number; out: string; err: string }> {
  const child = new Deno.Command(cmd, { args, stdin: "piped", stdout: "piped", stderr: "piped" }).spawn();
  const w = child.stdin.getWriter();
  await w.write(new TextEncoder().encode(stdin ?? ""));
  await w.close();
  const r = await child.output();
  const dec = new TextDecoder();
  return { code: r.code, out: dec.decode(r.stdout), err: dec.decode(r.stderr) };
}

/** Complete `line` (the cursor at its end) in a real non-interactive bash that sourced the script. */
async function bashComplete(script: string, line: string): Promise<string[]> {
  const words = line.split(" ");
  const program = `${script}
COMP_WORDS=(${words.map((w) => `'${w}'`).join(" ")})
COMP_CWORD=${words.length - 1}
COMP_LINE='${line}'
COMP_POINT=${line.length}
complete -p talosctl-oidc >&2
_talosctl_oidc
printf '%s\\n' "\${COMPREPLY[@]}"`;
  const r = await sh("bash", ["--norc", "--noprofile", "-s"], program);
  assertEquals(r.code, 0, r.err);
  assertStringIncludes(r.err, "complete -F _talosctl_oidc talosctl-oidc");
  return r.out.split("\n").filter(Boolean).sort();
}

Deno.test("completion bash prints a script that bash parses", async () => {
  const script = await generate("bash");
  const r = await sh("bash", ["-n"], script);
  assertEquals(r.code, 0, r.err);
});

Deno.test("bash completes 'talosctl-oidc lo' to login and logout", async () => {
  assertEquals(await bashComplete(await generate("bash"), "talosctl-oidc lo"), ["login", "logout"]);
});

Deno.test("bash completes 'talosctl-oidc login --cl' to the login flags starting with --cl", async () => {
  const expected = (await COMMANDS.login!.load()).spec.flags.map((f) => `--${f.name}`).filter((f) =>
    f.startsWith("--cl")
  ).sort();
  assert(expected.includes("--client-id"), "login has a --client-id flag");
  assertEquals(await bashComplete(await generate("bash"), "talosctl-oidc login --cl"), expected);
});

Deno.test("bash offers the shells after 'talosctl-oidc completion' and files after a path flag", async () => {
  const script = await generate("bash");
  assertEquals(await bashComplete(script, "talosctl-oidc completion "), ["bash", "fish", "powershell", "zsh"]);
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/talosconfig-one`, "");
    const got = await bashComplete(script, `talosctl-oidc doctor --talosconfig ${dir}/talosconfig-`);
    assertEquals(got, [`${dir}/talosconfig-one`]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("every command in the table appears in every shell's script", async () => {
  for (const shell of ["bash", "zsh", "fish", "powershell"]) {
    const script = await generate(shell);
    for (const name of Object.keys(table())) assertStringIncludes(script, name, `${shell} script lacks ${name}`);
  }
});

Deno.test({
  name: "completion zsh prints a script that zsh parses",
  ignore: !(await has("zsh")),
  fn: async () => {
    const r = await sh("zsh", ["-n"], await generate("zsh"));
    assertEquals(r.code, 0, r.err);
  },
});

Deno.test({
  name: "completion fish prints a script that fish parses",
  ignore: !(await has("fish")),
  fn: async () => {
    const r = await sh("fish", ["--no-execute"], await generate("fish"));
    assertEquals(r.code, 0, r.err);
  },
});

Deno.test("completion refuses an unknown shell with a usage error", async () => {
  await assertRejects(() => generate("tcsh"), (e) => /expected one shell/.test(String(e)));
});

Deno.test("completion powershell prints a script the PowerShell grammar parses, whatever the summaries hold", async () => {
  const script = await generate("powershell");
  assertEquals(await syntaxErrors("powershell", script), []);
  // The checker itself finds a broken script (the same one without its closing brace).
  assert(
    (await syntaxErrors("powershell", script.trimEnd().replace(/}$/, ""))).length > 0,
    "an unbalanced block went unseen",
  );
  // Quotes, $ and backticks in a summary stay text: single-quoted strings double their quotes.
  const tricky: CommandTable = {
    "it's": {
      summary: `Say "hi" to O'Brien for $(Remove-Item x) and \`n`,
      load: () => Promise.resolve({ spec: { name: "it's", usage: "", flags: [] }, run: () => Promise.resolve(0) }),
    },
  };
  const out = await generate("powershell", tricky);
  assertStringIncludes(out, `'it''s' = 'Say "hi" to O''Brien for $(Remove-Item x) and \`n'`);
  assertEquals(await syntaxErrors("powershell", out), []);
});
