/** @module `kube setup` as a user runs it: the kubeconfig it edits, what it prints, and what it refuses. */

import { join } from "node:path";
import { parse, parseAllDocuments } from "yaml";
import { ClusterRoleBinding } from "kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRoleBinding";
import { assert, assertEquals, assertMatch, assertStringIncludes } from "./helpers/assert.ts";
import { browserCommand, runCli } from "./helpers/cli.ts";
import { talosDocumentErrors } from "./helpers/talos_schema.ts";
import { existingKubeconfig, startKubeWorld } from "./kube_fixture.ts";

Deno.test("kube setup twice: the second run changes nothing; comments, other entries and unknown keys stay; 0600", async () => {
  await using w = await startKubeWorld();
  const original = existingKubeconfig(w.api);
  const first = await w.setup();
  assertEquals(first.code, 0, first.stderr);
  const once = await Deno.readTextFile(w.kubeconfig);
  for (const line of original.split("\n").filter((l) => !l.startsWith("current-context"))) {
    assertStringIncludes(once, line);
  }
  assertEquals((await Deno.stat(w.kubeconfig)).mode! & 0o777, 0o600);
  const second = await w.setup();
  assertEquals(second.code, 0, second.stderr);
  assertStringIncludes(second.stderr, "already set up (unchanged)");
  assertEquals(await Deno.readTextFile(w.kubeconfig), once);
  const k = parse(once);
  assertEquals(k["current-context"], "oidc");
  const exec = k.users.find((u: { name: string }) => u.name === "oidc").user.exec;
  assertEquals([exec.apiVersion, exec.interactiveMode], ["client.authentication.k8s.io/v1", "IfAvailable"]);
  assert(exec.command.startsWith("/"), "absolute plugin path");
  // From a checkout: deno run loading only kube token's modules, not every command's (kubectl runs it each time).
  assertEquals(exec.args.slice(0, 2), ["run", "--unstable-lazy-dynamic-imports"]);
  assertEquals(exec.args.slice(exec.args.indexOf("kube")), [
    ...["kube", "token", "--provider", w.login.idp.issuer, "--client-id", w.login.idp.clientId],
    ...["--scopes", "openid,email,profile,groups,offline_access", "--context-name", "oidc"],
  ]);
});

Deno.test("kube setup refuses a broken kubeconfig and leaves it byte for byte", async () => {
  await using w = await startKubeWorld();
  const broken = existingKubeconfig(w.api).replace("kind: Config", "kind: [Config");
  await Deno.writeTextFile(w.kubeconfig, broken);
  const r = await w.setup();
  assertEquals(r.code, 1);
  assertMatch(r.stderr, /error: parsing kubeconfig ".*" at line \d+/);
  assertStringIncludes(r.stderr, "it was not changed");
  assertEquals(await Deno.readTextFile(w.kubeconfig), broken);
});

Deno.test("kube setup --no-switch keeps the current context; an unknown --cluster names the ones there are", async () => {
  await using w = await startKubeWorld();
  assertEquals((await w.setup("--no-switch", "--context-name", "prod")).code, 0);
  const k = parse(await Deno.readTextFile(w.kubeconfig));
  assertEquals(k["current-context"], "admin@homelab");
  assert(k.contexts.some((c: { name: string }) => c.name === "prod"));
  const r = await w.setup("--cluster", "nope");
  assertEquals(r.code, 1);
  assertStringIncludes(r.stderr, `has no cluster "nope"`);
  assertStringIncludes(r.stderr, "pass --cluster with one of: homelab");
});

Deno.test("kube setup's cluster files validate (Talos schema, kubernetes-models) and kubectl applies the binding as printed", async () => {
  await using w = await startKubeWorld();
  for (const version of ["1.13", "v1.14.0"]) {
    const r = await runCli([
      ...["kube", "setup", "--provider", w.login.idp.issuer, "--client-id", w.login.idp.clientId],
      ...["--kubeconfig", w.kubeconfig, "--talos-version", version, "--admin-group", "kube admins"],
    ], { home: w.login.home });
    assertEquals(r.code, 0, r.stderr);
    const [patch, binding] = parseAllDocuments(r.stdout).map((d) => d.toJS());
    // The test IdP is http on loopback: all else must pass the schema (whose issuer pattern requires https).
    assertEquals(talosDocumentErrors(patch).filter((e) => !/pattern/.test(e)), [], version);
    assertEquals(talosDocumentErrors(JSON.parse(JSON.stringify(patch).replaceAll("http://", "https://"))), []);
    new ClusterRoleBinding(binding).validate();
    assertEquals(binding.subjects[0].name, "oidc:kube admins");
  }
  // As the admin applies them: the patch to kube-apiserver, then the printed binding with kubectl (as alice).
  assertEquals((await w.setup("--admin-group", "talos-admins")).code, 0);
  await w.applyPatch();
  assertEquals((await w.signIn("alice")).code, 0);
  const applied = await w.kubectl("apply", "--validate=false", "-f", join(w.outputDir, "kube-oidc-admin-binding.yaml"));
  assertEquals(applied.code, 0, applied.stderr);
  assertEquals(
    applied.stdout.trim(),
    "clusterrolebinding.rbac.authorization.k8s.io/oidc-talos-admins-cluster-admin created",
  );
  const stored = w.api.bindings.get("oidc-talos-admins-cluster-admin") as { subjects: { name: string }[] };
  assertEquals(stored.subjects[0]!.name, "oidc:talos-admins");
});

Deno.test("kube setup with --profile writes --profile into the plugin's args, and the client secret only into its env", async () => {
  await using w = await startKubeWorld();
  const profileDir = join(w.login.home, ".config", "talosctl-oidc", "profiles");
  await Deno.mkdir(profileDir, { recursive: true });
  await Deno.writeTextFile(
    join(profileDir, "lab.yaml"),
    `provider: ${w.login.idp.issuer}\nclient_id: ${w.login.idp.clientId}\nserver: https://127.0.0.1:9\ncontext_name: lab\n`,
  );
  const r = await runCli(
    ["kube", "setup", "--profile", "lab", "--kubeconfig", w.kubeconfig, "--client-secret", "s3cret-value"],
    { home: w.login.home },
  );
  assertEquals(r.code, 0, r.stderr);
  const text = await Deno.readTextFile(w.kubeconfig);
  const exec = parse(text).users.find((u: { name: string }) => u.name === "lab").user.exec;
  assertEquals(exec.args.slice(exec.args.indexOf("kube")), ["kube", "token", "--profile", "lab"]);
  assertEquals(exec.env, [{ name: "TALOSCTL_OIDC_CLIENT_SECRET", value: "s3cret-value" }]);
  assert(!r.stderr.includes("s3cret-value") && !r.stdout.includes("s3cret-value"), "the secret is never printed");
});

Deno.test("with a profile, login --profile and kube setup --profile share one sign-in: kubectl works after the login", async () => {
  await using w = await startKubeWorld();
  const profileDir = join(w.login.home, ".config", "talosctl-oidc", "profiles");
  await Deno.mkdir(profileDir, { recursive: true });
  const ca = join(w.login.home, "server-ca.pem");
  await Deno.writeTextFile(
    join(profileDir, "lab.yaml"),
    `provider: ${w.login.idp.issuer}\nclient_id: ${w.login.idp.clientId}\nserver: ${w.login.server.url}\n` +
      `server_ca: ${ca}\ncontext_name: lab\nscopes: [openid, email, groups, offline_access]\n`,
  );
  const setup = await runCli(
    ["kube", "setup", "--profile", "lab", "--kubeconfig", w.kubeconfig, "--output-dir", w.outputDir],
    { home: w.login.home },
  );
  assertEquals(setup.code, 0, setup.stderr);
  await w.applyPatch();
  const walk = browserCommand("walk", { user: "alice" });
  const login = await runCli(["login", "--profile", "lab", "--callback-port", "0", "--browser-command", walk], {
    home: w.login.home,
  });
  assertEquals(login.code, 0, login.stderr);
  const who = await w.kubectl("--context", "lab", "auth", "whoami", "-o", "json");
  assertEquals(who.code, 0, who.stderr);
  assertEquals(JSON.parse(who.stdout).status.userInfo.username, "oidc:alice@example.com");
});
