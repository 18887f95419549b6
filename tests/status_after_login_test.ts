/**
 * @module status right after login: `status --check` uses the server (and CA) the last login
 * for the context used (doctor too), `-v` says which talosconfig, context and URL it used; logout forgets the server.
 */

import { join } from "node:path";
import { assertEquals, assertMatch, assertStringIncludes } from "./helpers/assert.ts";
import { browserCommand, runCli } from "./helpers/cli.ts";
import { startLoginWorld } from "./login_e2e_fixture.ts";

Deno.test("status --check after login needs no --server again; -v names what it used; logout forgets it", async () => {
  await using w = await startLoginWorld();
  const login = await runCli(w.args("--browser-command", browserCommand("walk")), { home: w.home });
  assertEquals(login.code, 0, login.stderr);

  const plain = await runCli(["status", "--check"], { home: w.home });
  assertEquals(plain.code, 0, plain.stderr);
  assertMatch(plain.stdout, /^URL: +https:\/\/127\.0\.0\.1:\d+$/m);
  assertMatch(plain.stdout, /^Health: +ok \(HTTP 200\)$/m); // over the --server-ca login was given
  assertEquals(plain.stderr, "");

  const verbose = await runCli(["status", "--check", "-v"], { home: w.home });
  assertEquals(verbose.code, 0, verbose.stderr);
  assertStringIncludes(verbose.stderr, `debug: talosconfig "${w.talosconfig}" (the default path)\n`);
  assertStringIncludes(verbose.stderr, '(recorded by the last login for "oidc")');
  assertMatch(verbose.stderr, /^debug: GET https:\/\/127\.0\.0\.1:\d+\/healthz \(with the --server-ca file\)$/m);
  assertMatch(verbose.stderr, /^debug: context "oidc" \(the current one\)$/m);

  // doctor too: the recorded server and CA, and -v lists what it checked.
  const doctor = await runCli(["doctor", "-v", "--skip-keychain", "--callback-port", "0"], { home: w.home });
  assertMatch(doctor.stdout, /^ok +server +.*answers \/healthz/m);
  assertMatch(doctor.stderr, /^debug: server: https:\/\/127\.0\.0\.1:\d+$/m);
  assertMatch(doctor.stderr, /^debug: contextName: oidc$/m);

  const out = await runCli(["logout"], { home: w.home });
  assertEquals(out.code, 0, out.stderr);
  const after = await runCli(["status", "--check"], { home: w.home });
  assertEquals(after.code, 2);
  assertStringIncludes(after.stderr, "error: status: --check needs --server (or TALOSCTL_OIDC_SERVER)\n");
  assertStringIncludes(after.stderr, `hint: no login for context "oidc" recorded its server`);
  const record = join(w.home, ".config", "talosctl-oidc", "logins", "oidc.json");
  assertEquals(await Deno.stat(record).then(() => true, () => false), false);
});
