/**
 * @module kube-apiserver refuses a token and `kube doctor` / `doctor --kubernetes` say why: real IdP, real login,
 * real kubectl against the stand-in, the cluster side as kube setup wrote it.
 */

import { join } from "node:path";
import { assertEquals, assertMatch, assertStringIncludes } from "./helpers/assert.ts";
import { browserCommand, runCli } from "./helpers/cli.ts";
import { DEFAULT_USERS } from "./helpers/idp.ts";
import { SCOPES, startKubeWorld } from "./kube_fixture.ts";

const EVE = {
  sub: "eve",
  password: "eve",
  email: "eve@example.com",
  name: "Eve Unverified",
  groups: ["talos-admins"],
  extra: { email_verified: false },
};

Deno.test("an unverified email: kubectl gets Unauthorized, and kube doctor and doctor --kubernetes say why", async () => {
  await using w = await startKubeWorld({ users: [...DEFAULT_USERS, EVE] });
  assertEquals((await w.setup("--admin-group", "talos-admins")).code, 0);
  await w.applyPatch();
  assertEquals((await w.signIn("eve")).code, 0);

  const r = await w.kubectl("auth", "whoami");
  assertEquals(r.code, 1);
  assertStringIncludes(r.stderr, "Unauthorized");
  assertEquals(w.api.requests.at(-1)?.reason, "oidc: email not verified");

  const who = ["--provider", w.login.idp.issuer, "--client-id", w.login.idp.clientId, "--scopes", SCOPES];
  const kd = await runCli(["kube", "doctor", ...who, "--from", w.outputDir, "--kubeconfig", w.kubeconfig], {
    home: w.login.home,
  });
  assertEquals(kd.code, 1, kd.stderr);
  assertMatch(kd.stdout, /fail\s+username\s+"email_verified" is false: kube-apiserver refuses the token/);
  assertMatch(kd.stdout, /fix: verify the email address at the IdP/);
  assertMatch(kd.stdout, /ok\s+kubeconfig\s+user "oidc" runs /);
  assertMatch(kd.stdout, /ok\s+binding\s+you are in "oidc:talos-admins"/);

  const d = await runCli(["doctor", "--kubernetes", "--skip-keychain", ...who.slice(0, 4), "--from", w.outputDir], {
    home: w.login.home,
    env: { KUBECONFIG: w.kubeconfig },
  });
  assertEquals(d.code, 1, d.stderr);
  assertMatch(d.stdout, /fail\s+k8s username\s+"email_verified" is false/);
});

Deno.test("kube doctor names a missing groups claim with its scope, and a binding without the groups prefix", async () => {
  // The token has no groups claim, as Pocket ID's or Dex's when the "groups" scope was not asked for (the test IdP
  // grants every scope, so its user simply has no groups).
  const NOGROUPS = { sub: "nora", password: "nora", email: "nora@example.com", extra: { email_verified: true } };
  await using w = await startKubeWorld({ users: [...DEFAULT_USERS, NOGROUPS] });
  assertEquals((await w.setup("--admin-group", "talos-admins")).code, 0);
  const scopes = "openid,email,offline_access";
  const walk = browserCommand("walk", { user: "nora" });
  const login = await runCli(w.login.args("--scopes", scopes, "--browser-command", walk), {
    home: w.login.home,
  });
  // Talos RBAC refuses nora (no group), but her ID token is cached: that is what kubectl would get.
  assertStringIncludes(login.stderr, "no roles assigned");
  const binding = join(w.outputDir, "kube-oidc-admin-binding.yaml");
  await Deno.writeTextFile(
    binding,
    (await Deno.readTextFile(binding)).replace("name: oidc:talos-admins", "name: talos-admins"),
  );
  const who = ["--provider", w.login.idp.issuer, "--client-id", w.login.idp.clientId, "--scopes", scopes];
  const kd = await runCli(["kube", "doctor", ...who, "--from", w.outputDir, "--kubeconfig", w.kubeconfig], {
    home: w.login.home,
  });
  assertEquals(kd.code, 1);
  assertMatch(kd.stdout, /fail\s+groups\s+the token has no "groups" claim \(scope "groups" not requested\)/);
  assertMatch(kd.stdout, /fix: add "groups" to --scopes of login and kube setup/);
  assertMatch(
    kd.stdout,
    /fail\s+binding\s+the ClusterRoleBinding names group "talos-admins", but kube-apiserver puts "oidc:"/,
  );
  assertMatch(kd.stdout, /ok\s+username\s+kube-apiserver sees user "oidc:nora@example.com"/);
});

Deno.test("kube doctor without a cached token says to log in, and never opens a browser", async () => {
  await using w = await startKubeWorld();
  const kd = await runCli(["kube", "doctor", "--provider", w.login.idp.issuer, "--client-id", w.login.idp.clientId], {
    home: w.login.home,
  });
  assertEquals(kd.code, 1);
  assertMatch(kd.stdout, /fail\s+ID token\s+no token to check/);
  assertMatch(kd.stdout, /fix: run talosctl-oidc login/);
  assertEquals(w.idpHits()["/auth"] ?? 0, 0);
});
