/** @module Helm chart with talosApi.enabled: a talos.dev ServiceAccount, its Secret mounted, TALOSCONFIG set, no CA. */

import { join } from "node:path";
import { parse } from "yaml";
import { parseConfig } from "../../server/config.ts";
import { assert, assertEquals, assertStringIncludes } from "../helpers/assert.ts";
import { CHART, type K8sObject, only, renderChart, validateObject, yamllint } from "./chart_render.ts";
import { runProgram, tempDir } from "./support.ts";

/**
 * The talos.dev/v1alpha1 ServiceAccount as Talos's CRD defines it: metadata.name and namespace, and spec.roles a
 * non-empty list of role strings (spec has no other field). kubernetes-models has no schema for a CRD.
 */
function validateTalosServiceAccount(o: K8sObject): void {
  assertEquals([o.apiVersion, o.kind], ["talos.dev/v1alpha1", "ServiceAccount"]);
  assert(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(o.metadata.name) && o.metadata.name.length <= 63, o.metadata.name);
  assert(typeof o.metadata.namespace === "string" && o.metadata.namespace !== "");
  assertEquals(Object.keys(o.spec), ["roles"]);
  assert(Array.isArray(o.spec.roles) && o.spec.roles.length > 0);
  for (const r of o.spec.roles) assert(typeof r === "string" && /^os:[a-z:]+$/.test(r), String(r));
}

Deno.test("talosApi.enabled renders a talos.dev ServiceAccount with os:admin, mounts its Secret and sets TALOSCONFIG", async () => {
  const r = await renderChart(["chart-talos-api-values.yaml"]);
  assertEquals(r.code, 0, r.stderr);
  const kinds = r.objects.map((o) => `${o.apiVersion} ${o.kind}`).sort();
  assertEquals(kinds, [
    "apps/v1 Deployment",
    "talos.dev/v1alpha1 ServiceAccount",
    "v1 ConfigMap",
    "v1 Secret",
    "v1 Service",
    "v1 ServiceAccount",
  ]);
  for (const o of r.objects) {
    if (o.apiVersion === "talos.dev/v1alpha1") validateTalosServiceAccount(o);
    else validateObject(o);
  }
  await using tmp = await tempDir();
  await Deno.writeTextFile(join(tmp.path, "rendered.yaml"), r.stdout);
  const lint = await yamllint([join(tmp.path, "rendered.yaml")]);
  assertEquals(lint.code, 0, lint.output);

  const sa = r.objects.find((o) => o.apiVersion === "talos.dev/v1alpha1")!;
  assertEquals([sa.metadata.name, sa.metadata.namespace, sa.spec.roles], ["talosctl-oidc-talos", "talos-system", [
    "os:admin",
  ]]);
  const pod = only(r.objects, "Deployment").spec.template.spec;
  const [c] = pod.containers;
  const names = c.env.map((e: { name: string }) => e.name);
  assertEquals(names.filter((k: string) => k.includes("_CA_")), [], "no CA reaches the server");
  const env = Object.fromEntries(
    c.env.filter((e: { value?: string }) => e.value).map((e: { name: string; value: string }) => [e.name, e.value]),
  );
  assertEquals(env.TALOSCONFIG, "/var/run/secrets/talos.dev/config");
  const mount = c.volumeMounts.find((m: { name: string }) => m.name === "talos-api");
  assertEquals(mount, { name: "talos-api", mountPath: "/var/run/secrets/talos.dev", readOnly: true }, "no subPath");
  const volume = pod.volumes.find((v: { name: string }) => v.name === "talos-api");
  assertEquals(volume.secret.secretName, sa.metadata.name, "Talos's Secret has the ServiceAccount's name");
  assertEquals(Object.keys(only(r.objects, "Secret").data ?? {}), [], "no ca.crt or ca.key in the chart's Secret");

  // The server accepts the rendered config with the Deployment's environment: talos_api, the mounted talosconfig.
  const parsed = parseConfig(parse(only(r.objects, "ConfigMap").data["config.yaml"]), { ...env, HOME: "/nonexistent" });
  assertEquals([parsed.problems, parsed.warnings], [[], []]);
  assertEquals(parsed.config.issuerBackend, "talos_api");
  assertEquals(parsed.config.ca, undefined);
  assertEquals(parsed.config.talosApi, {
    kind: "talosconfig",
    path: "/var/run/secrets/talos.dev/config",
    from: "TALOSCONFIG",
    endpoints: ["172.20.0.2", "172.20.0.3"],
    timeoutMs: 5000,
  });
});

Deno.test("the local CA mode names its backend, mounts no Talos Secret, and the NOTES explain the node patch", async () => {
  const local = await renderChart(["chart-required-values.yaml"]);
  assertEquals(local.code, 0, local.stderr);
  assertEquals(local.objects.filter((o) => o.apiVersion === "talos.dev/v1alpha1"), []);
  assertEquals(parse(only(local.objects, "ConfigMap").data["config.yaml"]).issuer_backend, "local_ca");
  const notes = await renderChart(["chart-talos-api-values.yaml"], ["-notes"]);
  assertEquals(notes.code, 0, notes.stderr);
  assertStringIncludes(notes.stdout, "allowedKubernetesNamespaces: [talos-system]");
});

Deno.test("without talosApi.enabled or a CA the chart refuses to render, pointing at talosApi.enabled first", async () => {
  await using tmp = await tempDir();
  const none = join(tmp.path, "none.yaml");
  await Deno.writeTextFile(
    none,
    "config: {issuerUrl: https://a.example, clientId: c, endpoints: [10.0.0.1], roles: [os:reader]}\n",
  );
  const r = await runProgram(join(CHART, "../../scripts/render_chart/render.sh"), ["-chart", CHART, "-f", none]);
  assertEquals(r.code, 1);
  assertStringIncludes(r.stderr, "set talosApi.enabled=true (recommended");
  const noAdmin = join(tmp.path, "no-admin.yaml");
  await Deno.writeTextFile(
    noAdmin,
    (await Deno.readTextFile(none)) + "talosApi: {enabled: true, roles: [os:reader]}\n",
  );
  const r2 = await runProgram(join(CHART, "../../scripts/render_chart/render.sh"), ["-chart", CHART, "-f", noAdmin]);
  assertEquals(r2.code, 1);
  assertStringIncludes(r2.stderr, "talosApi.roles must include os:admin");
});
