/**
 * @module Profiles end to end: `setup --profile` then `login|status|logout --profile`, a hand-written profile chosen
 * through TALOSCTL_OIDC_PROFILE, flags over the profile, and a missing profile (exit 2, naming the saved ones).
 */

import { X509Certificate } from "node:crypto";
import { join } from "node:path";
import { assertEquals, assertMatch, assertStringIncludes } from "./helpers/assert.ts";
import { browserCommand, makeHome, runCli } from "./helpers/cli.ts";
import { writeProfile } from "../client/profiles.ts";
import { contextNames, readTalosconfig } from "../client/talosconfig/read.ts";
import { startLoginWorld } from "./login_e2e_fixture.ts";

const SCOPES = "openid,email,groups,offline_access";

Deno.test("setup --profile dev, then login, status, doctor and logout --profile dev use its context, talosconfig, server and CA", async () => {
  await using w = await startLoginWorld();
  const fingerprint = new X509Certificate(w.server.tlsCaPem!).fingerprint256;
  const setup = await runCli([
    ...["setup", "--provider", w.idp.issuer, "--client-id", w.idp.clientId, "--server", w.server.url],
    ...["--server-ca-fingerprint", fingerprint, "--profile", "dev", "--context-name", "dev-cluster"],
    ...["--talosconfig", "~/dev.yaml"],
    ...["--callback-port", "0", "--scopes", SCOPES, "--browser-command", browserCommand("walk")],
  ], { home: w.home });
  assertEquals(setup.code, 0, setup.stderr);
  assertStringIncludes(setup.stdout, "talosctl-oidc login --profile dev\n");

  const marker = join(w.home, "zero-browser-opened");
  const login = await runCli(["login", "--profile", "dev", "--browser-command", browserCommand("zero", { marker })], {
    home: w.home,
  });
  assertEquals(login.code, 0, login.stderr);
  assertStringIncludes(login.stderr, "Using the cached ID token"); // setup cached it under the profile's context
  assertStringIncludes(login.stderr, `Talosconfig updated: context "dev-cluster"`);
  const talosconfig = join(w.home, "dev.yaml");
  assertEquals(await w.callApidAs("dev-cluster", talosconfig), {
    status: 200,
    body: { subject_cn: "alice@example.com", roles: ["os:admin"] },
  });

  const status = await runCli(["status", "--profile", "dev", "--check"], { home: w.home });
  assertEquals(status.code, 0, status.stderr);
  assertMatch(status.stdout, /^Context: +dev-cluster$/m);
  assertMatch(status.stdout, /^Roles: +os:admin$/m);
  assertMatch(status.stdout, /^Health: +ok \(HTTP 200\)$/m); // the server, trusted through the pinned CA

  const doctor = await runCli(["doctor", "--profile", "dev", "--skip-keychain"], { home: w.home });
  assertEquals(doctor.code, 0, doctor.stdout);
  assertMatch(doctor.stdout, new RegExp(`^ok +talosconfig +"${talosconfig}" parses`, "m"));
  assertMatch(doctor.stdout, /^ok +server +\S+ answers \/healthz \(TLS verified with the pinned CA/m);

  const logout = await runCli(["logout", "--profile", "dev"], { home: w.home });
  assertEquals(logout.code, 0, logout.stderr);
  assertStringIncludes(logout.stderr, `Removed context "dev-cluster" from ${talosconfig}`);
  assertEquals(contextNames((await readTalosconfig(talosconfig)).doc), []);
  assertEquals(await Deno.stat(w.talosconfig).then(() => true, () => false), false);
});

Deno.test("login with TALOSCTL_OIDC_PROFILE signs in through the browser; flags still win over the profile", async () => {
  await using w = await startLoginWorld();
  const env = { HOME: w.home, XDG_CONFIG_HOME: join(w.home, ".config") };
  await writeProfile(
    {
      name: "lab",
      provider: w.idp.issuer,
      clientId: w.idp.clientId,
      server: w.server.url,
      contextName: "lab",
      talosconfig: "~/lab.yaml",
      scopes: SCOPES.split(","),
      callbackPort: 0,
    },
    env,
    w.server.tlsCaPem!,
  );
  const r = await runCli(["login", "--browser-command", browserCommand("walk", { user: "bob" })], {
    home: w.home,
    env: { TALOSCTL_OIDC_PROFILE: "lab" },
  });
  assertEquals(r.code, 0, r.stderr);
  assertEquals(await w.callApidAs("lab", join(w.home, "lab.yaml")), {
    status: 200,
    body: { subject_cn: "bob@example.com", roles: ["os:reader"] },
  });

  const marker = join(w.home, "zero-browser-opened");
  const other = await runCli(
    [
      "login",
      "--profile",
      "lab",
      "--talosconfig",
      "~/other.yaml",
      "--browser-command",
      browserCommand("zero", { marker }),
    ],
    { home: w.home },
  );
  assertEquals(other.code, 0, other.stderr);
  assertEquals(contextNames((await readTalosconfig(join(w.home, "other.yaml"))).doc), ["lab"]);
  const status = await runCli(["status", "--profile", "lab", "--talosconfig", "~/other.yaml"], { home: w.home });
  assertMatch(status.stdout, /^Talosconfig: +\S+\/other\.yaml$/m);
  assertMatch(status.stdout, /^Roles: +os:reader$/m);
});

Deno.test("a profile that does not exist is exit 2 for login, status, logout and doctor, naming the saved ones", async () => {
  await using home = await makeHome();
  const env = { HOME: home.path, XDG_CONFIG_HOME: join(home.path, ".config") };
  for (const name of ["prod", "dev"]) {
    await writeProfile({ name, provider: "https://idp.example", clientId: "c", server: "https://s.example" }, env);
  }
  for (const cmd of ["login", "status", "logout", "doctor"]) {
    const r = await runCli([cmd, "--profile", "stage"], { home: home.path });
    assertEquals(r.code, 2, `${cmd}: ${r.stderr}`);
    assertStringIncludes(
      r.stderr,
      `error: profile "stage" does not exist in "${home.path}/.config/talosctl-oidc/profiles"\n`,
    );
    assertStringIncludes(r.stderr, "hint: saved profiles: dev, prod\n");
  }
});
