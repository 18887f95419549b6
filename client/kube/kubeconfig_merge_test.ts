/** @module Tests for the pure kubeconfig edit of kube setup: the exec user and context added, every other byte kept. */

import { parse } from "yaml";
import { assert, assertEquals, assertStringIncludes, assertThrows } from "../../tests/helpers/assert.ts";
import { TalosOidcError } from "../../shared/errors.ts";
import { EXEC_API_V1 } from "./exec_credential.ts";
import { parseKubeconfig, resolveKubeconfigPath } from "./kubeconfig.ts";
import { applyKubeSetup, type KubeSetupEdit } from "./kubeconfig_merge.ts";

/** What `talosctl kubeconfig` / kubectl write (kubectl's own layout: unindented lists), plus comments. */
const TALOS_KUBECONFIG = `# written by talosctl kubeconfig
apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: aGVsbG8K
    server: https://10.0.0.1:6443
  name: homelab
- cluster:
    server: https://10.0.0.2:6443 # the other one
  name: lab2
contexts:
- context:
    cluster: homelab
    namespace: default
    user: admin@homelab
  name: admin@homelab
current-context: admin@homelab
kind: Config
preferences: {}
users:
- name: admin@homelab
  user:
    client-certificate-data: Y2VydAo=
    client-key-data: a2V5Cg==
x-unknown-top-level: keep me
`;

const edit: KubeSetupEdit = {
  user: "oidc",
  context: "oidc",
  cluster: "homelab",
  makeCurrent: true,
  exec: {
    apiVersion: EXEC_API_V1,
    command: "/usr/local/bin/talosctl-oidc",
    args: ["kube", "token", "--provider", "https://id.example.com", "--client-id", "talosctl"],
    env: null,
    interactiveMode: "IfAvailable",
    provideClusterInfo: false,
    installHint: "install talosctl-oidc",
  },
};

const kubeconfigOf = (text: string) =>
  parse(text) as {
    "current-context": string;
    users: { name: string; user: Record<string, unknown> }[];
    contexts: { name: string; context: Record<string, unknown> }[];
    clusters: unknown[];
  };

Deno.test("applyKubeSetup() adds the exec user and a context bound to the cluster, keeping every other line", () => {
  const out = applyKubeSetup(TALOS_KUBECONFIG, edit);
  const k = kubeconfigOf(out);
  assertEquals(k["current-context"], "oidc");
  assertEquals(k.users.find((u) => u.name === "oidc")?.user, { exec: edit.exec });
  assertEquals(k.contexts.find((c) => c.name === "oidc")?.context, { cluster: "homelab", user: "oidc" });
  for (const line of TALOS_KUBECONFIG.split("\n").filter((l) => !l.startsWith("current-context"))) {
    assertStringIncludes(out, line, `kept: ${line}`);
  }
});

Deno.test("applyKubeSetup() run twice gives the same bytes (idempotent), comments included", () => {
  const once = applyKubeSetup(TALOS_KUBECONFIG, edit);
  assertEquals(applyKubeSetup(once, edit), once);
});

Deno.test("applyKubeSetup() replaces its own user and keeps the context's namespace and other keys", () => {
  const mine = applyKubeSetup(TALOS_KUBECONFIG, { ...edit, context: "admin@homelab", makeCurrent: false });
  const k = kubeconfigOf(mine);
  assertEquals(k["current-context"], "admin@homelab");
  assertEquals(k.contexts[0]!.context, { cluster: "homelab", namespace: "default", user: "oidc" });
  const newer = applyKubeSetup(mine, { ...edit, context: "admin@homelab", makeCurrent: false, cluster: "lab2" });
  assertEquals(kubeconfigOf(newer).contexts[0]!.context, { cluster: "lab2", namespace: "default", user: "oidc" });
  const args = ["kube", "token", "--profile", "prod"];
  const swapped = applyKubeSetup(newer, { ...edit, exec: { ...edit.exec, args }, makeCurrent: false });
  assertEquals(kubeconfigOf(swapped).users.filter((u) => u.name === "oidc").length, 1);
  assertEquals(
    (kubeconfigOf(swapped).users.find((u) => u.name === "oidc")!.user.exec as { args: string[] }).args,
    args,
  );
});

Deno.test("applyKubeSetup() keeps an indented-list layout as it is", () => {
  const indented = `apiVersion: v1
kind: Config
clusters:
  - name: homelab
    cluster:
      server: https://10.0.0.1:6443
users: []
`;
  const out = applyKubeSetup(indented, edit);
  assertStringIncludes(out, "  - name: homelab\n    cluster:\n      server: https://10.0.0.1:6443\n");
  assertStringIncludes(out, "users:\n  - name: oidc\n");
});

Deno.test("applyKubeSetup() refuses a missing cluster, naming the ones there are", () => {
  const err = assertThrows(() => applyKubeSetup(TALOS_KUBECONFIG, { ...edit, cluster: "nope" })) as TalosOidcError;
  assertEquals(err.code, "ERR_KUBECONFIG");
  assertStringIncludes(err.hint ?? "", "homelab, lab2");
  assertEquals((assertThrows(() => applyKubeSetup("", edit)) as TalosOidcError).code, "ERR_KUBECONFIG");
});

Deno.test("parseKubeconfig() refuses a broken file with its line, and shapes kubectl cannot read", () => {
  const cases: [string, RegExp][] = [
    ["apiVersion: v1\nclusters:\n- name: a\n  cluster: {server: [\n", /at line \d+/],
    ["- a\n- b\n", /top level is not a mapping/],
    ["clusters: {a: 1}\n", /"clusters" is not a list/],
    ["users:\n- user: {}\n", /at line 2: an entry of "users" has no name/],
    ["contexts:\n- name: a\n- name: a\n", /"contexts" names "a" twice/],
    ["current-context: [a]\n", /"current-context" is not a string/],
  ];
  for (const [text, re] of cases) {
    const err = assertThrows(() => parseKubeconfig(text, "/k")) as TalosOidcError;
    assertEquals(err.code, "ERR_KUBECONFIG");
    assert(re.test(err.message), `${err.message} ~ ${re}`);
    assertStringIncludes(err.message, `"/k"`);
  }
});

Deno.test("resolveKubeconfigPath() follows kubectl: flag, first $KUBECONFIG entry, ~/.kube/config", () => {
  const env = { HOME: "/home/u" };
  assertEquals(resolveKubeconfigPath("~/k", env, "linux"), "/home/u/k");
  assertEquals(resolveKubeconfigPath(undefined, { ...env, KUBECONFIG: ":/a:/b" }, "linux"), "/a");
  assertEquals(resolveKubeconfigPath(undefined, env, "linux"), "/home/u/.kube/config");
});
