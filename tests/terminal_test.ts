/**
 * @module What a person at a real terminal (a tmux pane) meets: Ctrl-C during login and
 * setup says "interrupted", exits 130 and leaves nothing behind; a browser that never calls back (a wrong client id)
 * gets one line saying what to check while login keeps waiting; the demo's terminal shows no
 * oidc-provider NOTICE or warning lines while someone signs in.
 */

import { join } from "node:path";
import { assert, assertEquals, assertMatch } from "./helpers/assert.ts";
import { browserCommand, cliArgv, cliEnv, makeHome, runCli } from "./helpers/cli.ts";
import { hasTmux, startTerminal } from "./helpers/tmux.ts";
import { startLoginWorld } from "./login_e2e_fixture.ts";

const exists = (path: string) => Deno.lstat(path).then(() => true, () => false);

Deno.test({
  name: "Ctrl-C in a terminal while login waits for the browser: interrupted, exit 130, nothing written",
  ignore: !hasTmux(),
  async fn() {
    await using w = await startLoginWorld();
    await using term = await startTerminal(cliArgv(w.args("--browser-command", "true")), { env: cliEnv(w.home) });
    await term.waitFor(/Waiting for the browser login \(\d+s, Ctrl-C to cancel\)/); // the spinner: a terminal
    await term.keys("C-c");
    assertEquals(await term.exitCode(), 130, await term.screen());
    const screen = await term.screen();
    assertMatch(screen, /\ninterrupted\n/);
    assert(!screen.includes("Waiting for the browser login"), `the spinner line is cleared:\n${screen}`);
    assertEquals(await exists(w.talosconfig), false);
    assertEquals(await exists(join(w.home, ".config", "talosctl-oidc", "tokens.json")), false);
  },
});

Deno.test({
  name: "Ctrl-C in a terminal during setup, in the browser wait and at the fingerprint prompt: interrupted, exit 130",
  ignore: !hasTmux(),
  async fn() {
    await using w = await startLoginWorld();
    const setup = (...extra: string[]) =>
      cliArgv([
        "setup",
        ...["--provider", w.idp.issuer, "--client-id", w.idp.clientId, "--callback-port", "0"],
        ...["--server", w.server.url, "--profile", "prod", ...extra],
      ]);
    {
      await using term = await startTerminal(setup("--browser-command", "true"), { env: cliEnv(w.home) });
      await term.waitFor(/If the browser does not open, visit:/);
      await term.keys("C-c");
      assertEquals(await term.exitCode(), 130, await term.screen());
      assertMatch(await term.screen(), /\ninterrupted\n/);
    }
    // Signed in (a scripted browser), then the prompt reads the terminal: Ctrl-C there must not hang.
    const walk = [Deno.execPath(), "run", "-A", join(import.meta.dirname!, "helpers", "browser_walker.ts")].join(" ");
    await using term = await startTerminal(setup("--browser-command", walk), { env: cliEnv(w.home) });
    await term.waitFor(/Does it match\? \[y\/N\]/);
    await term.keys("C-c");
    assertEquals(await term.exitCode(), 130, await term.screen());
    assertMatch(await term.screen(), /\ninterrupted\n/);
    const profiles = join(w.home, ".config", "talosctl-oidc", "profiles");
    assertEquals(await exists(join(profiles, "prod.yaml")), false, "no profile");
    assertEquals(await exists(join(profiles, "prod-ca.pem")), false, "no pinned CA");
  },
});

Deno.test({
  name: "a browser that never calls back (wrong client id) gets one line saying what to check; login keeps waiting",
  ignore: !hasTmux(),
  async fn() {
    await using w = await startLoginWorld();
    const args = w.args("--browser-command", "true");
    args[args.indexOf("--client-id") + 1] = "talosctl-typo";
    await using term = await startTerminal(cliArgv(args), {
      env: cliEnv(w.home, { TALOSCTL_OIDC_BROWSER_HINT_AFTER: "1s" }), // 30s for people
    });
    const screen = await term.waitFor(/No answer from the browser after 1s\./);
    assertMatch(screen, /check --client-id "talosctl-typo" and that http:\/\/127\.0\.0\.1:\d+\/callback is registered/);
    assertEquals(screen.match(/No answer from the browser/g)?.length, 1);
    assert(await term.running(), "login keeps waiting");
    await term.keys("C-c");
    assertEquals(await term.exitCode(), 130);
  },
});

Deno.test({
  name:
    "the demo's terminal shows the banner and nothing else while someone signs in: no NOTICE, WARNING or deprecation",
  ignore: !hasTmux(),
  async fn() {
    await using home = await makeHome();
    const root = join(import.meta.dirname!, "..");
    await using term = await startTerminal([Deno.execPath(), "run", "-A", "main.ts", "demo"], {
      env: cliEnv(home.path),
      cwd: root,
      width: 400, // the printed login command stays on its lines
    });
    const banner = await term.waitFor(/Ctrl-C stops the demo and deletes/, 60_000);
    const login = banner.replace(/ \\\n\s+/g, " ").split("\n").map((l) => l.trim())
      .find((l) => / run -A main\.ts login /.test(l))?.split(/ run -A main\.ts /)[1]?.split(" ");
    assert(login, banner);
    await using user = await makeHome();
    const r = await runCli([...login, "--browser-command", browserCommand("walk"), "--callback-port", "0"], {
      home: user.path,
    });
    assertEquals(r.code, 0, r.stderr);
    const screen = await term.screen();
    assertEquals(screen.match(/NOTICE|WARNING|Warning|\(node:\d+\)/g), null, screen);
    await term.keys("C-c");
    assertEquals(await term.exitCode(), 0, await term.screen());
    assertMatch(await term.screen(), /Stopping the demo\.\.\.\nRemoved /);
  },
});
