/** @module Helm chart: rendered objects validated with kubernetes-models, yamllint, and the server's config parser. */

import { join } from "node:path";
import { parse } from "yaml";
import { parseConfig } from "../../server/config.ts";
import { assert, assertEquals, assertStringIncludes } from "../helpers/assert.ts";
import { CHART, type K8sObject, only, renderChart, validateObject, yamllint } from "./chart_render.ts";
import { runProgram, tempDir } from "./support.ts";

async function lintRendered(stdout: string) {
  await using tmp = await tempDir();
  const file = join(tmp.path, "rendered.yaml");
  await Deno.writeTextFile(file, stdout);
  return await yamllint([file]);
}

/** Check the server would accept the ConfigMap's config.yaml with the env the Deployment sets. */
function checkServerConfig(configMap: K8sObject, env: Record<string, string>) {
  const parsed = parseConfig(parse(configMap.data["config.yaml"]!), env);
  assertEquals(parsed.problems, []);
  assertEquals(parsed.warnings, []);
  return parsed.config;
}

Deno.test("the chart renders with only the required values into valid Kubernetes objects", async () => {
  const r = await renderChart(["chart-required-values.yaml"]);
  assertEquals(r.code, 0, r.stderr);
  assertEquals(r.objects.map((o) => o.kind).sort(), ["ConfigMap", "Deployment", "Secret", "Service", "ServiceAccount"]);
  for (const o of r.objects) validateObject(o);
  const lint = await lintRendered(r.stdout);
  assertEquals(lint.code, 0, lint.output);
});

Deno.test("the Deployment runs hardened: non-root, read-only root, no privilege escalation, no capabilities", async () => {
  const { objects } = await renderChart(["chart-required-values.yaml"]);
  const pod = only(objects, "Deployment").spec.template.spec;
  assertEquals(pod.securityContext.runAsNonRoot, true);
  assertEquals(pod.securityContext.seccompProfile, { type: "RuntimeDefault" });
  assertEquals(pod.automountServiceAccountToken, false);
  const [c] = pod.containers;
  assertEquals(c.securityContext.readOnlyRootFilesystem, true);
  assertEquals(c.securityContext.allowPrivilegeEscalation, false);
  assertEquals(c.securityContext.capabilities, { drop: ["ALL"] });
  assert(c.resources.requests.cpu && c.resources.requests.memory && c.resources.limits.memory);
  assertEquals([c.livenessProbe.httpGet.path, c.livenessProbe.httpGet.scheme], ["/healthz", "HTTPS"]);
  assertEquals([c.readinessProbe.httpGet.path, c.readinessProbe.httpGet.scheme], ["/readyz", "HTTPS"]);
  // The CA travels as env from the Secret: a secret volume with fsGroup is group-readable, which the server refuses.
  const caEnv = c.env.filter((e: { name: string }) => /^TALOSCTL_OIDC_CA_(CERT|KEY)_DATA$/.test(e.name));
  assertEquals(caEnv.map((e: { valueFrom: { secretKeyRef: { key: string } } }) => e.valueFrom.secretKeyRef.key), [
    "ca.crt",
    "ca.key",
  ]);
  assertEquals(pod.volumes.filter((v: { secret?: unknown }) => v.secret), []);
  assertEquals(pod.volumes.find((v: { name: string }) => v.name === "data").emptyDir, {});
});

Deno.test("the ConfigMap's config.yaml is accepted by the server's config parser and matches the mounts", async () => {
  const { objects } = await renderChart(["chart-required-values.yaml"]);
  const deploy = only(objects, "Deployment");
  const container = deploy.spec.template.spec.containers[0];
  const env = Object.fromEntries(
    container.env.filter((e: { value?: string }) => e.value).map((
      e: { name: string; value: string },
    ) => [e.name, e.value]),
  );
  assertEquals(env.TALOSCTL_OIDC_CONFIG, "/etc/talosctl-oidc/config.yaml");
  const secret = only(objects, "Secret");
  const fromSecret = {
    TALOSCTL_OIDC_CA_CERT_DATA: atob(secret.data["ca.crt"]),
    TALOSCTL_OIDC_CA_KEY_DATA: atob(secret.data["ca.key"]),
  };
  const config = checkServerConfig(only(objects, "ConfigMap"), {
    ...env,
    ...fromSecret,
    TALOSCTL_OIDC_ADMIN_TOKEN: "x".repeat(32),
  });
  assertEquals(config.issuerUrl, "https://auth.example.com");
  assertEquals(config.listen.port, 8443);
  assertEquals(config.rateLimit.requests, 300, "the chart keeps the server's default per-IP limit");
  assert(config.ca?.kind === "pem" && "inline" in config.ca.cert && "inline" in config.ca.key, "CA from the Secret");
  assertEquals(config.tls.mode, "self-signed");
  assert(config.tls.mode === "self-signed" && config.tls.san.includes("talosctl-oidc.talos-system.svc"));
  const mounts = container.volumeMounts.map((m: { mountPath: string }) => m.mountPath);
  for (const p of ["/etc/talosctl-oidc/config.yaml", "/var/lib/talosctl-oidc", "/tmp"]) assert(mounts.includes(p), p);
  assert(config.dataDir?.startsWith("/var/lib/talosctl-oidc/"), "data_dir is a subdirectory the server can own");
  assertEquals(Object.keys(secret.data).sort(), ["ca.crt", "ca.key"]);
  assertStringIncludes(atob(secret.data["ca.key"]), "BEGIN ED25519 PRIVATE KEY");
});

Deno.test("the chart with ingress, ServiceMonitor, an existing Secret and persistence renders consistently", async () => {
  const r = await renderChart(["chart-required-values.yaml", "chart-full-values.yaml"]);
  assertEquals(r.code, 0, r.stderr);
  const kinds = r.objects.map((o) => o.kind).sort();
  assertEquals(kinds, [
    "ConfigMap",
    "Deployment",
    "Ingress",
    "PersistentVolumeClaim",
    "Service",
    "ServiceAccount",
    "ServiceMonitor",
  ]);
  for (const o of r.objects) if (o.kind !== "ServiceMonitor") validateObject(o);
  assertEquals((await lintRendered(r.stdout)).code, 0);

  const deploy = only(r.objects, "Deployment"), pod = deploy.spec.template.spec, svc = only(r.objects, "Service");
  assertEquals(deploy.metadata.name, "talos-sso");
  assertEquals(deploy.spec.strategy, { type: "Recreate" });
  assertEquals(pod.volumes.find((v: { name: string }) => v.name === "data").persistentVolumeClaim, {
    claimName: "talos-sso",
  });
  const tokenRefs = pod.containers[0].env.filter((e: { valueFrom?: unknown }) => e.valueFrom);
  assertEquals(tokenRefs.length, 4, "CA cert, CA key, admin token, metrics token");
  for (const e of tokenRefs) assertEquals(e.valueFrom.secretKeyRef.name, "talos-sso-credentials");
  const pvc = only(r.objects, "PersistentVolumeClaim");
  assertEquals([pvc.spec.storageClassName, pvc.spec.resources.requests.storage], ["fast", "128Mi"]);

  const ing = only(r.objects, "Ingress");
  assertEquals(ing.spec.ingressClassName, "nginx");
  assertEquals(ing.spec.rules[0].http.paths[0].backend.service, { name: "talos-sso", port: { number: 8443 } });

  const sm = only(r.objects, "ServiceMonitor");
  assertEquals(sm.apiVersion, "monitoring.coreos.com/v1");
  assertEquals(sm.metadata.labels.release, "prometheus");
  assertEquals(sm.spec.selector.matchLabels, deploy.spec.selector.matchLabels);
  for (const [k, v] of Object.entries(sm.spec.selector.matchLabels)) assertEquals(svc.metadata.labels[k], v);
  const [ep] = sm.spec.endpoints;
  assertEquals([ep.port, ep.path, ep.scheme], [svc.spec.ports[0].name, "/metrics", "https"]);
  assertEquals(ep.bearerTokenSecret, { name: "talos-sso-credentials", key: "metrics-token", optional: true });

  const config = checkServerConfig(only(r.objects, "ConfigMap"), {
    TALOSCTL_OIDC_CA_CERT_DATA: "c",
    TALOSCTL_OIDC_CA_KEY_DATA: "k",
  });
  assertEquals(config.rbacRules.length, 2);
  assertEquals(config.certTtlMs, 15 * 60_000);
  assertEquals(config.trustedProxies, ["10.42.0.0/16"]);
  assert(config.tls.mode === "self-signed" && config.tls.san.includes("talos-sso.example.com"));
  assert(config.tls.mode === "self-signed" && config.tls.san.includes("talos-sso.internal.example.com"));
});

Deno.test("the chart refuses to render without the IdP settings, roles or the Talos CA, or with a short adminToken", async () => {
  const none = await renderChart([]);
  assertEquals(none.code, 1);
  assertStringIncludes(none.stderr, "config.issuerUrl is required");
  await using tmp = await tempDir();
  const render = async (values: string) => {
    const file = join(tmp.path, "values.yaml");
    await Deno.writeTextFile(file, values);
    return await runProgram(join(CHART, "../../scripts/render_chart/render.sh"), ["-chart", CHART, "-f", file]);
  };
  const idp = "issuerUrl: https://a.example, clientId: c, endpoints: [10.0.0.1]";
  const noCa = await render(`config: {${idp}, roles: [os:reader]}\n`);
  assertEquals(noCa.code, 1);
  assertStringIncludes(noCa.stderr, "an issuing backend is required: set talosApi.enabled=true");
  const noRoles = await render(`config: {${idp}}\nexistingSecret: ca\n`);
  assertEquals(noRoles.code, 1);
  assertStringIncludes(noRoles.stderr, "config.rbac.rules or config.roles is required");
  assertStringIncludes(noRoles.stderr, "config.roles: [os:admin]");
  const shortToken = await render(`config: {${idp}, roles: [os:reader]}\nexistingSecret: ca\nadminToken: s3cret\n`);
  assertEquals(shortToken.code, 1);
  assertStringIncludes(shortToken.stderr, "adminToken must be at least 32 characters");
});

Deno.test("the chart's NOTES tell operators how to fetch the server CA and log in", async () => {
  const r = await renderChart(["chart-required-values.yaml"], ["-notes"]);
  assertEquals(r.code, 0, r.stderr);
  assertStringIncludes(r.stdout, "curl -sk https://127.0.0.1:8443/ca > server-ca.pem");
  assertStringIncludes(r.stdout, "talosctl-oidc login --provider https://auth.example.com --client-id talosctl");
});

Deno.test("the chart's values.yaml and Chart.yaml pass yamllint", async () => {
  const lint = await yamllint([join(CHART, "values.yaml"), join(CHART, "Chart.yaml")]);
  assertEquals(lint.code, 0, lint.output);
});

Deno.test("the chart README documents every key of values.yaml", async () => {
  const readme = await Deno.readTextFile(join(CHART, "README.md"));
  const documented = new Set([...readme.matchAll(/`([^`\s]+)`/g)].map((m) => m[1]!));
  const leaves: string[] = [];
  const walk = (v: unknown, path: string[]) => {
    if (v && typeof v === "object" && !Array.isArray(v) && Object.keys(v).length > 0) {
      for (const [k, child] of Object.entries(v)) walk(child, [...path, k]);
    } else leaves.push(path.join("."));
  };
  walk(parse(await Deno.readTextFile(join(CHART, "values.yaml"))), []);
  const missing = leaves.filter((p) =>
    !p.split(".").some((_, i, parts) => documented.has(parts.slice(0, i + 1).join(".")))
  );
  assertEquals(missing, []);
});
