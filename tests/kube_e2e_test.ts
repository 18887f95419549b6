/**
 * @module One sign-in for talosctl and kubectl, end to end with real parts: the real kubectl runs `kube token`
 * from a kubeconfig written by `kube setup`, against a TLS kube-apiserver stand-in that applies kube-apiserver's
 * OIDC rules with the Talos patch kube setup printed, after one `login`.
 */

import { join } from "node:path";
import { assert, assertEquals, assertMatch, assertStringIncludes } from "./helpers/assert.ts";
import { runCli } from "./helpers/cli.ts";
import { startKubeWorld, total } from "./kube_fixture.ts";

Deno.test("after one login, kubectl auth whoami shows the prefixed user and groups; calls within the token's life never reach the IdP", async () => {
  await using w = await startKubeWorld();
  const setup = await w.setup("--admin-group", "talos-admins");
  assertEquals(setup.code, 0, setup.stderr);
  await w.applyPatch();
  const login = await w.signIn("alice");
  assertEquals(login.code, 0, login.stderr);

  const before = w.idpHits();
  const first = await w.kubectl("auth", "whoami", "-o", "json");
  assertEquals(first.code, 0, first.stderr);
  assertEquals(JSON.parse(first.stdout).status.userInfo, {
    username: "oidc:alice@example.com",
    groups: ["oidc:talos-admins", "oidc:devs", "system:authenticated"],
  });
  const second = await w.kubectl("auth", "whoami");
  assertEquals(second.code, 0, second.stderr);
  assertMatch(second.stdout, /Username\s+oidc:alice@example\.com/);
  assertEquals(second.stderr, "", "kube token prints nothing on stderr when it answers from the cache");
  assertEquals(w.idpHits(), before, "two kubectl runs, zero requests to the IdP");
  assertEquals(w.api.requests.filter((r) => r.status === 201).length, 2);
});

Deno.test("an expired ID token is refreshed by kube token without a browser", async () => {
  await using w = await startKubeWorld();
  assertEquals((await w.setup()).code, 0);
  await w.applyPatch();
  assertEquals((await w.signIn("alice")).code, 0);
  // The cached ID token expires (the file as the token cache wrote it; only the ID token changes).
  const cacheFile = join(w.login.home, ".config", "talosctl-oidc", "tokens.json");
  const cache = JSON.parse(await Deno.readTextFile(cacheFile));
  const expired = await w.login.idp.mint({ email: "alice@example.com", exp: Math.floor(Date.now() / 1000) - 60 });
  cache.oidc.id_token = expired;
  await Deno.writeTextFile(cacheFile, JSON.stringify(cache), { mode: 0o600 });

  const before = w.idpHits();
  const r = await w.kubectl("auth", "whoami", "-o", "json");
  assertEquals(r.code, 0, r.stderr);
  assertEquals(JSON.parse(r.stdout).status.userInfo.username, "oidc:alice@example.com");
  const after = w.idpHits();
  assertEquals((after["/token"] ?? 0) - (before["/token"] ?? 0), 1, "one refresh at the token endpoint");
  assertEquals(after["/auth"] ?? 0, before["/auth"] ?? 0, "no authorization request: no browser");
  const refreshed = JSON.parse(await Deno.readTextFile(cacheFile)).oidc;
  assert(refreshed.id_token !== expired && refreshed.refresh_token !== cache.oidc.refresh_token, "rotated and stored");
  // The refreshed token is cached: the next kubectl call is off the network again.
  const quiet = w.idpHits();
  assertEquals((await w.kubectl("auth", "whoami")).code, 0);
  assertEquals(total(w.idpHits()), total(quiet));
});

Deno.test("kube token without a cached token and not interactive: one stderr line saying to log in, nothing on stdout", async () => {
  await using w = await startKubeWorld();
  assertEquals((await w.setup()).code, 0);
  await w.applyPatch();
  const direct = await runCli(
    ["kube", "token", "--provider", w.login.idp.issuer, "--client-id", w.login.idp.clientId],
    {
      home: w.login.home,
      env: { KUBERNETES_EXEC_INFO: execInfo("v1", false) },
    },
  );
  assertEquals([direct.code, direct.stdout], [1, ""]);
  assertEquals(direct.stderr.trimEnd().split("\n").length, 1, direct.stderr);
  assertStringIncludes(direct.stderr, `run "talosctl-oidc login"`);
  const viaKubectl = await w.kubectl("auth", "whoami");
  assertEquals(viaKubectl.code, 1);
  assertStringIncludes(viaKubectl.stderr, "talosctl-oidc login");
});

Deno.test("kube token answers in the apiVersion kubectl asks for (v1, v1beta1, v1beta1 when not told)", async () => {
  await using w = await startKubeWorld();
  assertEquals((await w.signIn("alice")).code, 0);
  const cached = JSON.parse(await Deno.readTextFile(join(w.login.home, ".config", "talosctl-oidc", "tokens.json")));
  const exp = JSON.parse(atob(cached.oidc.id_token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/"))).exp;
  for (
    const [info, apiVersion] of [[execInfo("v1", false), "v1"], [execInfo("v1beta1", true), "v1beta1"], [
      undefined,
      "v1beta1",
    ]] as const
  ) {
    const r = await runCli(["kube", "token", "--provider", w.login.idp.issuer, "--client-id", w.login.idp.clientId], {
      home: w.login.home,
      env: info ? { KUBERNETES_EXEC_INFO: info } : {},
    });
    assertEquals([r.code, r.stderr], [0, ""]);
    assertEquals(JSON.parse(r.stdout), {
      apiVersion: `client.authentication.k8s.io/${apiVersion}`,
      kind: "ExecCredential",
      status: {
        token: cached.oidc.id_token,
        expirationTimestamp: new Date(exp * 1000).toISOString().replace(".000", ""),
      },
    });
  }
});

Deno.test("kube token answering from the cache says so with -v, and refuses a bad TALOSCTL_OIDC_BROWSER_HINT_AFTER as before", async () => {
  await using w = await startKubeWorld();
  assertEquals((await w.signIn("alice")).code, 0);
  const args = ["kube", "token", "--provider", w.login.idp.issuer, "--client-id", w.login.idp.clientId];
  const verbose = await runCli([...args, "-v"], { home: w.login.home });
  assertEquals(verbose.code, 0, verbose.stderr);
  assertMatch(verbose.stderr, /^debug: Using the cached ID token \(valid until [0-9TZ:.-]+\)\.\n$/);
  // The setting only matters to a browser sign-in, but a bad value fails every run: the cache does not hide it.
  const bad = await runCli(args, { home: w.login.home, env: { TALOSCTL_OIDC_BROWSER_HINT_AFTER: "soon" } });
  assertEquals([bad.code, bad.stdout], [2, ""]);
  assertStringIncludes(bad.stderr, "error: TALOSCTL_OIDC_BROWSER_HINT_AFTER: invalid duration");
});

function execInfo(version: "v1" | "v1beta1", interactive: boolean): string {
  return JSON.stringify({
    apiVersion: `client.authentication.k8s.io/${version}`,
    kind: "ExecCredential",
    spec: { interactive },
  });
}

Deno.test("kube token when kubectl says interactive: one browser sign-in, then only the ExecCredential on stdout", async () => {
  await using w = await startKubeWorld();
  const { browserCommand } = await import("./helpers/cli.ts");
  const r = await runCli([
    ...["kube", "token", "--provider", w.login.idp.issuer, "--client-id", w.login.idp.clientId],
    ...["--callback-port", "0", "--browser-command", browserCommand("walk", { user: "bob" })],
  ], { home: w.login.home, env: { KUBERNETES_EXEC_INFO: execInfo("v1", true) } });
  assertEquals(r.code, 0, r.stderr);
  const credential = JSON.parse(r.stdout); // stdout parses whole: the browser prompt and progress went to stderr
  assertEquals(credential.apiVersion, "client.authentication.k8s.io/v1");
  const claims = JSON.parse(atob(credential.status.token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/")));
  assertEquals(claims.email, "bob@example.com");
  assertEquals(w.idpHits()["/auth"], 1, "one authorization request: one browser sign-in");
});
