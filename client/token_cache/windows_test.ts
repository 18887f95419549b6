/**
 * @module The Windows backend's contract, checked with a stand-in `powershell.exe` (no Windows here): the script it
 * sends decodes from -EncodedCommand, parses as PowerShell and its Add-Type source as C# (tree-sitter grammars), names
 * are quoted, the secret travels on stdin only, and exit codes and output map to found / absent / failure.
 */

import { join } from "node:path";
import { assert, assertEquals, assertRejects, assertStringIncludes } from "../../tests/helpers/assert.ts";
import { syntaxErrors } from "../../tests/helpers/syntax.ts";
import { windowsCredentialManager } from "./windows.ts";

/** Records argv (one per line) and stdin, answers with the prepared stdout, stderr and exit code. */
const FAKE_POWERSHELL = `#!/bin/sh
printf '%s\\n' "$@" > "$FAKE_DIR/argv"
cat > "$FAKE_DIR/stdin"
cat "$FAKE_DIR/out" 2>/dev/null
cat "$FAKE_DIR/err" >&2 2>/dev/null
exit "$(cat "$FAKE_DIR/code" 2>/dev/null || echo 0)"
`;

/** The script powershell.exe would run: -EncodedCommand is base64 of UTF-16LE. */
function decodeScript(argv: string[]): string {
  assertEquals(argv.slice(0, 3), ["-NoProfile", "-NonInteractive", "-EncodedCommand"]);
  const bytes = Uint8Array.from(atob(argv[3]!), (c) => c.charCodeAt(0));
  return new TextDecoder("utf-16le").decode(bytes);
}

Deno.test("Windows backend: scripts parse, names are quoted, the secret goes on stdin, exit codes map", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "fake-powershell-" });
  const tool = join(dir, "powershell.exe");
  await Deno.writeTextFile(tool, FAKE_POWERSHELL, { mode: 0o755 });
  const kc = windowsCredentialManager({ FAKE_DIR: dir, PATH: "/usr/bin:/bin" }, tool);
  const answer = async (code: number, out = "", err = "") => {
    await Deno.writeTextFile(join(dir, "code"), String(code));
    await Deno.writeTextFile(join(dir, "out"), out);
    await Deno.writeTextFile(join(dir, "err"), err);
  };
  const sent = async () => {
    const argv = (await Deno.readTextFile(join(dir, "argv"))).split("\n").slice(0, -1);
    return { argv, script: decodeScript(argv), stdin: await Deno.readTextFile(join(dir, "stdin")) };
  };
  const account = "o'neil-ü-😀"; // a quote to escape, a non-ASCII letter and a character outside the BMP
  const secret = JSON.stringify({ refresh_token: "r".repeat(700), id_token: "eyJ" + "i".repeat(1100), note: "ü😀" });
  try {
    await t.step("set: the secret is on stdin, in neither argv nor the script", async () => {
      await answer(0);
      await kc.set(account, secret);
      const { argv, script, stdin } = await sent();
      assertEquals(stdin, secret);
      assert(!argv.join(" ").includes("eyJ") && !script.includes("eyJ"), "the token leaked into the command line");
      assertStringIncludes(script, `$t = 'talosctl-oidc:o''neil-ü-😀'; $u = 'o''neil-ü-😀'`);
      assertStringIncludes(script, "[TalosOidcCred]::Write($t, $u,");
    });
    await t.step("every operation's script parses as PowerShell, and the Add-Type source as C#", async () => {
      const scripts: string[] = [];
      await answer(0, btoa("x"));
      for (
        const op of [() => kc.probe(), () => kc.get(account), () => kc.set(account, "s"), () => kc.delete(account)]
      ) {
        await op();
        scripts.push((await sent()).script);
      }
      for (const script of scripts) assertEquals(await syntaxErrors("powershell", script), [], script);
      const cs = scripts[0]!.match(/@'\n([\s\S]*?)\n'@/)?.[1];
      assert(cs, "no here-string with the C# source");
      assertEquals(await syntaxErrors("csharp", cs), []);
      assert((await syntaxErrors("csharp", cs.replace(/}\s*$/, ""))).length > 0, "the C# check missed a lost brace");
    });
    await t.step("get decodes the base64 blob; exit 3 is absent; other failures name the context", async () => {
      const bytes = new TextEncoder().encode(secret);
      await answer(0, btoa(String.fromCharCode(...bytes)) + "\r\n");
      assertEquals(await kc.get(account), secret);
      await answer(3);
      assertEquals(await kc.get(account), null);
      await answer(1, "", "Access is denied.\r\n");
      await assertRejects(() => kc.get(account), (e) => /reading the token of context "o'neil-ü-😀"/.test(String(e)));
    });
    await t.step("delete reports whether there was something to delete; probe explains a failure", async () => {
      await answer(0);
      assertEquals(await kc.delete(account), true);
      await answer(3);
      assertEquals(await kc.delete(account), false);
      await answer(0);
      assertEquals(await kc.probe(), null);
      await answer(1, "", "Add-Type : cannot load\r\n");
      assertStringIncludes((await kc.probe()) ?? "", "Add-Type : cannot load");
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
