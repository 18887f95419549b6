/** @module `talosctl-oidc login` end to end: subprocess CLI, real IdP, real exchange server, real mTLS to apid. */

import { join } from "node:path";
import { assert, assertEquals, assertMatch, assertNotMatch, assertStringIncludes } from "./helpers/assert.ts";
import { approveDeviceLogin, browserCommand, denyLogin, runCli, spawnCli, startBrowserRelay } from "./helpers/cli.ts";
import { contextNames, readTalosconfig } from "../client/talosconfig/read.ts";
import { createTokenCache } from "../client/token_cache/token_cache.ts";
import { nullLogger } from "../shared/log.ts";
import { EXISTING_TALOSCONFIG, startLoginWorld } from "./login_e2e_fixture.ts";

const zeroMarker = (home: string) => join(home, "zero-browser-opened");
const assertNoBrowser = async (home: string) =>
  assertEquals(await Deno.stat(zeroMarker(home)).then(() => true, () => false), false, "a browser was opened");
const assertNoSecrets = (text: string) => assertNotMatch(text, /eyJ[\w-]{10,}|PRIVATE KEY|[?&]code=/);

Deno.test("login signs in through the browser, writes a context apid accepts, and keeps the rest of the file", async () => {
  await using w = await startLoginWorld();
  await Deno.mkdir(join(w.home, ".talos"), { recursive: true });
  await Deno.writeTextFile(w.talosconfig, EXISTING_TALOSCONFIG);
  const r = await runCli(w.args("-v", "--browser-command", browserCommand("walk")), { home: w.home });
  assertEquals(r.code, 0, r.stderr);
  assertEquals(r.stdout, "");
  assertStringIncludes(r.stderr, `Talosconfig updated: context "oidc" set with endpoints [127.0.0.1]`);
  assertStringIncludes(
    r.stderr,
    `\nSwitched the current context from "prod" to "oidc" (login --no-switch keeps it).\n`,
  );
  assertStringIncludes(r.stderr, "roles [os:admin]");
  assertStringIncludes(r.stderr, "(key made here)");
  // -v: each request, with the exchange's request id (docs/login.md), never a token
  assertMatch(r.stderr, /^debug: POST https:\/\/127\.0\.0\.1:\d+\/exchange: HTTP 200 \(request id [0-9a-f-]{36}\)$/m);
  assertNoSecrets(r.stderr);
  const text = await Deno.readTextFile(w.talosconfig);
  assert(text.startsWith(EXISTING_TALOSCONFIG.split("\n  oidc")[0]!.replace("context: prod", "context: oidc")));
  assertStringIncludes(text, "      - 10.0.0.1 # the VIP\n");
  assertStringIncludes(text, "identity: me@example.com");
  assertEquals((await Deno.stat(w.talosconfig)).mode! & 0o777, 0o600);
  assertEquals(await w.callApidAs("oidc"), {
    status: 200,
    body: { subject_cn: "alice@example.com", roles: ["os:admin"] },
  });

  const again = await runCli(w.args("--browser-command", browserCommand("zero", { marker: zeroMarker(w.home) })), {
    home: w.home,
  });
  assertEquals(again.code, 0, again.stderr);
  assertMatch(again.stderr, /Talos certificate for context "oidc" is still valid until .*nothing to do/);
  await assertNoBrowser(w.home);
});

Deno.test("login reuses the cached ID token for another talosconfig without opening a browser", async () => {
  await using w = await startLoginWorld();
  assertEquals((await runCli(w.args("--browser-command", browserCommand("walk")), { home: w.home })).code, 0);
  const other = join(w.home, "other.yaml");
  const r = await runCli(
    w.args("--talosconfig", other, "--browser-command", browserCommand("zero", { marker: zeroMarker(w.home) })),
    { home: w.home },
  );
  assertEquals(r.code, 0, r.stderr);
  assertStringIncludes(r.stderr, "Using the cached ID token");
  await assertNoBrowser(w.home);
  assertEquals(await w.callApidAs("oidc", other), {
    status: 200,
    body: { subject_cn: "alice@example.com", roles: ["os:admin"] },
  });
});

Deno.test("login --no-switch writes the context and leaves the talosconfig's current context, saying so", async () => {
  await using w = await startLoginWorld();
  await Deno.mkdir(join(w.home, ".talos"), { recursive: true });
  await Deno.writeTextFile(w.talosconfig, EXISTING_TALOSCONFIG);
  const r = await runCli(w.args("--no-switch", "--browser-command", browserCommand("walk")), { home: w.home });
  assertEquals(r.code, 0, r.stderr);
  assertStringIncludes(r.stderr, `\nThe current context stays "prod": use talosctl --context oidc.\n`);
  assertEquals(r.stderr.includes("Switched"), false);
  const { doc } = await readTalosconfig(w.talosconfig);
  assertEquals([doc.get("context"), contextNames(doc)], ["prod", ["prod", "oidc"]]);
  assertEquals((await Deno.readTextFile(w.talosconfig)).startsWith(EXISTING_TALOSCONFIG), true);
});

Deno.test("an expired ID token is renewed with the rotated refresh token, without a browser", async () => {
  // ID tokens live 20 s: less than the 30 s skew margin, so the cached one already counts as expired.
  await using w = await startLoginWorld({ idTokenTtl: 20 });
  assertEquals((await runCli(w.args("--browser-command", browserCommand("walk")), { home: w.home })).code, 0);
  const cacheFile = join(w.home, ".config", "talosctl-oidc", "tokens.json");
  const before = JSON.parse(await Deno.readTextFile(cacheFile)).oidc.refresh_token;
  const r = await runCli(
    w.args(
      "-v",
      "--talosconfig",
      join(w.home, "b.yaml"),
      "--browser-command",
      browserCommand("zero", { marker: zeroMarker(w.home) }),
    ),
    { home: w.home },
  );
  assertEquals(r.code, 0, r.stderr);
  assertStringIncludes(r.stderr, "Refreshed the ID token.");
  assertNoSecrets(r.stderr);
  await assertNoBrowser(w.home);
  const after = JSON.parse(await Deno.readTextFile(cacheFile)).oidc.refresh_token;
  assert(after && after !== before, "the rotated refresh token was stored");
  assertEquals((await Deno.stat(cacheFile)).mode! & 0o777, 0o600);
});

Deno.test("a refresh token the IdP refuses falls back to one browser login", async () => {
  await using w = await startLoginWorld({ idTokenTtl: 20 });
  assertEquals((await runCli(w.args("--browser-command", browserCommand("walk")), { home: w.home })).code, 0);
  const cacheFile = join(w.home, ".config", "talosctl-oidc", "tokens.json");
  const { refresh_token } = JSON.parse(await Deno.readTextFile(cacheFile)).oidc;
  const md = await (await fetch(`${w.idp.issuer}/.well-known/openid-configuration`)).json();
  const rev = await fetch(md.revocation_endpoint, {
    method: "POST",
    body: new URLSearchParams({ token: refresh_token, client_id: w.idp.clientId }),
  });
  assertEquals(rev.status, 200);
  await rev.body?.cancel();
  const count = join(w.home, "opened");
  const r = await runCli(
    w.args("--talosconfig", join(w.home, "c.yaml"), "--browser-command", browserCommand("count", { marker: count })),
    { home: w.home },
  );
  assertEquals(r.code, 0, r.stderr);
  assertMatch(r.stderr, /The IdP refused the refresh token \(invalid_grant/);
  assertEquals((await Deno.readTextFile(count)).split("\n").filter(Boolean).length, 1);
});

Deno.test("a user no RBAC rule admits is refused clearly, exit 1, and the talosconfig is unchanged", async () => {
  await using w = await startLoginWorld();
  await Deno.mkdir(join(w.home, ".talos"), { recursive: true });
  await Deno.writeTextFile(w.talosconfig, EXISTING_TALOSCONFIG);
  const r = await runCli(w.args("--browser-command", browserCommand("walk", { user: "mallory" })), { home: w.home });
  assertEquals(r.code, 1, r.stderr);
  assertStringIncludes(r.stderr, "error: the exchange server refused the request (HTTP 403): no roles assigned");
  assertStringIncludes(
    r.stderr,
    `hint: the server's rules read the claim "groups"; your ID token (mallory@example.com)`,
  );
  assertMatch(r.stderr, /Otherwise ask the administrator of https:\/\/127\.0\.0\.1:\d+ to grant you a Talos role/);
  assertEquals(await Deno.readTextFile(w.talosconfig), EXISTING_TALOSCONFIG);
});

Deno.test("the IdP's access_denied is shown as is and nothing is written", async () => {
  await using w = await startLoginWorld();
  await using relay = startBrowserRelay((url) => denyLogin(w.idp, url));
  const r = await runCli(w.args("--browser-command", relay.command), { home: w.home });
  assertEquals(r.code, 1, r.stderr);
  assertStringIncludes(r.stderr, "error: the IdP refused the login: access_denied: The user denied the request\n");
  assertEquals(await Deno.stat(w.talosconfig).then(() => true, () => false), false);
});

Deno.test("an http:// server URL without --insecure is refused with exit 2, naming --insecure", async () => {
  await using w = await startLoginWorld();
  const args = w.args("--browser-command", browserCommand("zero", { marker: zeroMarker(w.home) }));
  args[args.indexOf("--server") + 1] = "http://127.0.0.1:1";
  const r = await runCli(args, { home: w.home });
  assertEquals(r.code, 2, r.stderr);
  assertMatch(r.stderr, /^error: refusing the plain HTTP server URL "http:\/\/127\.0\.0\.1:1": it needs --insecure\n/);
  await assertNoBrowser(w.home);
});

Deno.test("login --help lists the flags with their defaults, env vars and examples", async () => {
  await using w = await startLoginWorld();
  const r = await runCli(["login", "--help"], { home: w.home });
  assertEquals(r.code, 0);
  for (const s of ["--provider", "env TALOSCTL_OIDC_PROVIDER", "default 8900", "default oidc", "--device-code"]) {
    assertStringIncludes(r.stdout, s);
  }
  assertStringIncludes(r.stdout, "default openid,profile,email,offline_access");
  assertStringIncludes(r.stdout, "Examples:");
});

Deno.test("the device flow prints the URL and code, and finishes when the user approves elsewhere", async () => {
  await using w = await startLoginWorld();
  await using cli = spawnCli(w.args("--device-code"), { home: w.home });
  const [, url] = await cli.waitForStderr(/Open this URL on any device to sign in:\n {2}(\S+)\n/);
  await cli.waitForStderr(/If it asks for a code, enter: \S+/);
  await approveDeviceLogin(url!, "bob");
  const r = await cli.result;
  assertEquals(r.code, 0, r.stderr);
  assertNoSecrets(r.stderr);
  assertEquals(await w.callApidAs("oidc"), {
    status: 200,
    body: { subject_cn: "bob@example.com", roles: ["os:reader"] },
  });
});

Deno.test("20 concurrent logins to different contexts leave one valid talosconfig holding all 20", async () => {
  await using w = await startLoginWorld();
  const cache = createTokenCache({
    env: { HOME: w.home, XDG_CONFIG_HOME: join(w.home, ".config") },
    logger: nullLogger,
    keychain: null,
  });
  const names = Array.from({ length: 20 }, (_, i) => `cluster-${i}`);
  const now = Math.floor(Date.now() / 1000);
  for (const context of names) {
    const id_token = await w.idp.mint({
      groups: ["talos-admins"],
      email: "alice@example.com",
      email_verified: true,
      exp: now + 3600,
    });
    await cache.put({ context, issuer: w.idp.issuer, clientId: w.idp.clientId }, {
      id_token,
      issuer: w.idp.issuer,
      client_id: w.idp.clientId,
    });
  }
  const zero = browserCommand("zero", { marker: zeroMarker(w.home) });
  const runs = await Promise.all(
    names.map((n) => runCli(w.args("--context-name", n, "--browser-command", zero), { home: w.home })),
  );
  for (const r of runs) assertEquals(r.code, 0, r.stderr);
  await assertNoBrowser(w.home);
  const { doc } = await readTalosconfig(w.talosconfig);
  assertEquals(contextNames(doc).sort(), [...names].sort());
  for (const n of [names[0]!, names[19]!]) {
    assertEquals(await w.callApidAs(n), {
      status: 200,
      body: { subject_cn: "alice@example.com", roles: ["os:admin"] },
    });
  }
});

Deno.test("two concurrent logins to the same context open one browser", async () => {
  await using w = await startLoginWorld();
  const count = join(w.home, "opened");
  const args = w.args("--browser-command", browserCommand("count", { marker: count }));
  const [a, b] = await Promise.all([runCli(args, { home: w.home }), runCli(args, { home: w.home })]);
  assertEquals([a.code, b.code], [0, 0], a.stderr + b.stderr);
  assertEquals((await Deno.readTextFile(count)).split("\n").filter(Boolean).length, 1);
  assertMatch(a.stderr + b.stderr, /still valid until/);
});

Deno.test("on a machine without a display or browser, login picks the device flow by itself", async () => {
  await using w = await startLoginWorld();
  const args = w.args();
  args.splice(args.indexOf("--callback-port"), 2); // as a user would run it: no callback flags
  await using cli = spawnCli(args, { home: w.home }); // the CLI's env has no DISPLAY, WAYLAND_DISPLAY or BROWSER
  const [, url] = await cli.waitForStderr(/Open this URL on any device to sign in:\n {2}(\S+)\n/);
  await approveDeviceLogin(url!, "alice");
  const r = await cli.result;
  assertEquals(r.code, 0, r.stderr);
  assertStringIncludes(r.stderr, "(device flow)");
});

Deno.test("Ctrl-C while waiting for the browser ends login with exit 130, closing the callback listener", async () => {
  await using w = await startLoginWorld();
  await using cli = spawnCli(w.args("--browser-command", "true"), { home: w.home });
  await cli.waitForStderr(/Waiting for the browser login/);
  cli.kill("SIGINT");
  const r = await cli.result;
  assertEquals(r.code, 130, r.stderr);
  assertMatch(r.stderr, /\ninterrupted\n$/);
  assertEquals(await Deno.stat(w.talosconfig).then(() => true, () => false), false);
});
