/**
 * @module Helm chart with replicas: replicaCount > 1 needs stateStore.url (and per-pod-identical TLS); the store's
 * password comes from a Secret as a file; the rendered config is what the server accepts.
 */

import { join } from "node:path";
import { parse } from "yaml";
import { parseConfig } from "../../server/config.ts";
import { assert, assertEquals, assertStringIncludes } from "../helpers/assert.ts";
import { CHART, only, renderChart, validateObject } from "./chart_render.ts";
import { runProgram, tempDir } from "./support.ts";

Deno.test("replicas share a Redis/Valkey: state_store in the config, its password a mounted Secret file", async () => {
  const r = await renderChart(["chart-replicas-values.yaml"]);
  assertEquals(r.code, 0, r.stderr);
  for (const o of r.objects) if (o.apiVersion !== "talos.dev/v1alpha1") validateObject(o);
  const deploy = only(r.objects, "Deployment");
  assertEquals(deploy.spec.replicas, 3);
  const pod = deploy.spec.template.spec;
  const [c] = pod.containers;
  assertEquals(c.volumeMounts.find((m: { name: string }) => m.name === "state-store"), {
    name: "state-store",
    mountPath: "/etc/talosctl-oidc/state-store",
    readOnly: true,
  });
  const volume = pod.volumes.find((v: { name: string }) => v.name === "state-store");
  assertEquals(volume.secret, {
    secretName: "talosctl-oidc-redis",
    defaultMode: 0o440,
    items: [{ key: "redis-password", path: "password" }],
  });
  const text = only(r.objects, "ConfigMap").data["config.yaml"];
  assert(!text.includes("password@"), "no password in the ConfigMap");
  const env = Object.fromEntries(
    c.env.filter((e: { value?: string }) => e.value).map((e: { name: string; value: string }) => [e.name, e.value]),
  );
  const { config, problems, warnings } = parseConfig(parse(text), { ...env, HOME: "/nonexistent" });
  assertEquals([problems, warnings], [[], []]);
  assertEquals(config.stateStore?.display, "redis://redis-master.redis.svc:6379/0");
  assertEquals(config.stateStore?.passwordFile, "/etc/talosctl-oidc/state-store/password");
  assertEquals([config.workers, config.stateStoreFailOpen], [2, false]);
});

Deno.test("replicaCount > 1 without stateStore.url, with self-signed TLS or a shared RWO volume refuses to render", async () => {
  await using tmp = await tempDir();
  const base = join(CHART, "../../tests/distribution/fixtures/chart-replicas-values.yaml");
  const render = async (override: string) => { // a second values file over the fixture, as helm -f merges them
    const file = join(tmp.path, "values.yaml");
    await Deno.writeTextFile(file, override);
    return await runProgram(join(CHART, "../../scripts/render_chart/render.sh"), [
      "-chart",
      CHART,
      "-f",
      base,
      "-f",
      file,
    ]);
  };
  const noStore = await render('stateStore: {url: ""}\n');
  assertEquals(noStore.code, 1);
  assertStringIncludes(noStore.stderr, "replicaCount > 1 needs stateStore.url");
  const selfSigned = await render("tls: {mode: self-signed}\n");
  assertEquals(selfSigned.code, 1);
  assertStringIncludes(selfSigned.stderr, "replicaCount > 1 needs tls.mode=secret");
  const rwo = await render("persistence: {enabled: true}\n");
  assertEquals(rwo.code, 1);
  assertStringIncludes(rwo.stderr, "cannot share a ReadWriteOnce volume");
  const withPassword = await render("stateStore: {url: redis://:hunter2@redis:6379/0}\n");
  assertEquals(withPassword.code, 1);
  assertStringIncludes(withPassword.stderr, "stateStore.url must not carry a password");
  assert(!withPassword.stderr.includes("hunter2"), "the password is not echoed");
  assertEquals((await render('replicaCount: 1\nstateStore: {url: ""}\n')).code, 0, "one replica needs no store");
});
