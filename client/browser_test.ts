/** @module Tests for choosing and starting the browser command. */

import { assert, assertEquals, assertRejects } from "../tests/helpers/assert.ts";
import { nullLogger } from "../shared/log.ts";
import { isTalosOidcError } from "../shared/errors.ts";
import { PERMISSIONS } from "../shared/permissions.ts";
import { tempDir } from "../tests/helpers/temp_dir.ts";
import { browserArgv, createBrowserOpener, detectWsl, isHeadless, splitCommandLine } from "./browser.ts";

const URL_ = "https://idp.example/auth?a=1&b='x'";
const linux = { os: "linux" as const, env: {}, wsl: false, hasCommand: () => false };

Deno.test("browserArgv() uses each OS's default opener with the URL as one argument", () => {
  assertEquals(browserArgv(URL_, { ...linux, os: "darwin" }), ["open", URL_]);
  assertEquals(browserArgv(URL_, linux), ["xdg-open", URL_]);
  assertEquals(browserArgv(URL_, { ...linux, os: "windows" }), ["rundll32", "url.dll,FileProtocolHandler", URL_]);
});

Deno.test("browserArgv() opens the Windows browser from WSL: wslview, else PowerShell, else cmd.exe", () => {
  const wsl = { ...linux, wsl: true };
  assertEquals(browserArgv(URL_, { ...wsl, hasCommand: (n) => n === "wslview" }), ["wslview", URL_]);
  const ps = browserArgv(URL_, { ...wsl, hasCommand: (n) => n === "powershell.exe" });
  assertEquals(ps.at(-1), `Start-Process 'https://idp.example/auth?a=1&b=''x'''`);
  assertEquals(browserArgv(URL_, wsl).at(-1), "https://idp.example/auth?a=1^&b='x'");
});

Deno.test("browserArgv() prefers --browser-command, then $BROWSER (with %s)", () => {
  assertEquals(browserArgv(URL_, linux, "deno run -A 'my walker.ts'"), ["deno", "run", "-A", "my walker.ts", URL_]);
  assertEquals(browserArgv(URL_, { ...linux, env: { BROWSER: "firefox --new-tab:lynx" } }), [
    "firefox",
    "--new-tab",
    URL_,
  ]);
  assertEquals(browserArgv(URL_, { ...linux, env: { BROWSER: "w3m %s" } }), ["w3m", URL_]);
});

Deno.test("isHeadless() is true only on a display-less Unix without any browser setting", () => {
  assert(isHeadless(linux));
  assert(!isHeadless({ ...linux, env: { DISPLAY: ":0" } }));
  assert(!isHeadless({ ...linux, env: { WAYLAND_DISPLAY: "wayland-0" } }));
  assert(!isHeadless({ ...linux, env: { BROWSER: "lynx" } }));
  assert(!isHeadless(linux, "my-browser"));
  assert(!isHeadless({ ...linux, wsl: true }));
  assert(!isHeadless({ ...linux, os: "darwin" }));
});

Deno.test("detectWsl() reads the kernel release", () => {
  assert(detectWsl("linux", () => "5.15.90.1-microsoft-standard-WSL2"));
  assert(detectWsl("linux", () => "4.4.0-19041-Microsoft"));
  assert(!detectWsl("linux", () => "6.1.0-18-amd64"));
  assert(
    !detectWsl("linux", () => {
      throw new Deno.errors.NotCapable("no --allow-sys");
    }),
  );
  assert(!detectWsl("darwin"));
});

Deno.test("detectWsl() tells WSL under the documented permissions (the plugin's and the binaries')", async () => {
  await using dir = await tempDir("talosctl-oidc-wsl-");
  const script = `${dir.path}/wsl.ts`;
  // The real release first (the permissions must allow it), then a WSL kernel's: this machine is not one.
  await Deno.writeTextFile(
    script,
    `import { detectWsl } from ${JSON.stringify(new URL("./browser.ts", import.meta.url).href)};\n` +
      `Deno.osRelease();\n(Deno as { osRelease(): string }).osRelease = () => "5.15.153.1-microsoft-standard-WSL2";\n` +
      `console.log(JSON.stringify([detectWsl("linux"), detectWsl("darwin")]));\n`,
  );
  const out = await new Deno.Command(Deno.execPath(), { args: ["run", ...PERMISSIONS, script], stderr: "inherit" })
    .output();
  assert(out.success);
  assertEquals(JSON.parse(new TextDecoder().decode(out.stdout)), [true, false]);
});

Deno.test("splitCommandLine() keeps quoted words together", () => {
  assertEquals(splitCommandLine(`a "b c" 'd e' f`), ["a", "b c", "d e", "f"]);
});

Deno.test("createBrowserOpener() starts the command and reports how it exited", async () => {
  const opener = createBrowserOpener({ ...linux, browserCommand: "true", logger: nullLogger });
  assertEquals(await (await opener.open(URL_)).wait(), true);
  const failing = createBrowserOpener({ ...linux, browserCommand: "false", logger: nullLogger });
  assertEquals(await (await failing.open(URL_)).wait(), false);
});

Deno.test("createBrowserOpener() fails with ERR_IO when the command does not exist", async () => {
  const opener = createBrowserOpener({ ...linux, browserCommand: "/nonexistent/browser", logger: nullLogger });
  await assertRejects(() => opener.open(URL_), (e) => isTalosOidcError(e, "ERR_IO"));
});
