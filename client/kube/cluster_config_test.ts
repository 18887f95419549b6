/** @module Tests for the cluster-side YAML kube setup prints: the Talos patch and document, and the ClusterRoleBinding. */

import { parse } from "yaml";
import { ClusterRoleBinding } from "kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRoleBinding";
import { assert, assertEquals, assertThrows } from "../../tests/helpers/assert.ts";
import { talosDocumentErrors } from "../../tests/helpers/talos_schema.ts";
import {
  adminBindingObject,
  BINDING_FILE,
  clusterFiles,
  type KubeOidcSettings,
  parseTalosVersion,
  PATCH_FILE,
  talosPatchObject,
} from "./cluster_config.ts";

const settings: KubeOidcSettings = {
  issuer: "https://id.example.com",
  clientId: "talosctl",
  usernameClaim: "email",
  groupsClaim: "groups",
  prefix: "oidc:",
};
const V113 = { major: 1, minor: 13 }, V114 = { major: 1, minor: 14 };

Deno.test("Talos 1.14+: a KubeAuthenticationConfig document that passes the schema, health checks kept", () => {
  const doc = talosPatchObject(settings, V114) as { configuration: { anonymous: unknown; jwt: unknown[] } };
  assertEquals(talosDocumentErrors(doc), []);
  assertEquals(doc.configuration.jwt, [{
    issuer: { url: "https://id.example.com", audiences: ["talosctl"] },
    claimMappings: { username: { claim: "email", prefix: "oidc:" }, groups: { claim: "groups", prefix: "oidc:" } },
  }]);
  assertEquals(doc.configuration.anonymous, {
    enabled: true,
    conditions: [{ path: "/livez" }, { path: "/readyz" }, { path: "/healthz" }],
  });
  const noPrefix = talosPatchObject({ ...settings, prefix: "", groupsClaim: "" }, { major: 2, minor: 0 });
  assertEquals(talosDocumentErrors(noPrefix), []);
});

Deno.test("Talos <= 1.13: the cluster.apiServer.extraArgs patch that passes the schema", () => {
  const patch = talosPatchObject(settings, V113);
  assertEquals(talosDocumentErrors(patch), []);
  assertEquals(patch, {
    cluster: {
      apiServer: {
        extraArgs: {
          "oidc-issuer-url": "https://id.example.com",
          "oidc-client-id": "talosctl",
          "oidc-username-claim": "email",
          "oidc-username-prefix": "oidc:",
          "oidc-groups-claim": "groups",
          "oidc-groups-prefix": "oidc:",
        },
      },
    },
  });
  // No prefix with flags is "-" (else kube-apiserver puts "<issuer>#" in front of non-email usernames).
  const bare = talosPatchObject({ ...settings, prefix: "", usernameClaim: "sub" }, V113) as {
    cluster: { apiServer: { extraArgs: Record<string, string> } };
  };
  assertEquals(bare.cluster.apiServer.extraArgs["oidc-username-prefix"], "-");
  assertEquals(bare.cluster.apiServer.extraArgs["oidc-groups-prefix"], undefined);
});

Deno.test("the Talos schema has teeth: no prefix, no audience, an http issuer and unknown keys all fail", () => {
  const bad = (mutate: (d: { configuration: { jwt: Record<string, Record<string, unknown>>[] } }) => void) => {
    const d = structuredClone(talosPatchObject(settings, V114)) as never;
    mutate(d);
    return talosDocumentErrors(d);
  };
  assert(bad((d) => delete (d.configuration.jwt[0]!.claimMappings!.username as Record<string, unknown>).prefix).length);
  assert(bad((d) => (d.configuration.jwt[0]!.issuer!.audiences = [])).length);
  assert(bad((d) => (d.configuration.jwt[0]!.issuer!.url = "http://id.example.com")).length);
  assert(bad((d) => (d.configuration.jwt[0]!.issuer!.audiences = ["a", "b"])).length, "several need MatchAny");
  assert(bad((d) => (d.configuration.jwt[0]!.issuer!.clientID = "x")).length);
  assert(talosDocumentErrors({ cluster: { apiServer: { extraArgs: { "oidc-issuer": "x" } } } }).length);
});

Deno.test("the ClusterRoleBinding names the prefixed group and validates as a Kubernetes object", () => {
  const crb = adminBindingObject(settings, "Kube Admins");
  new ClusterRoleBinding(crb as never).validate();
  assertEquals((crb.subjects as { name: string }[])[0]!.name, "oidc:Kube Admins");
  assertEquals((crb.metadata as { name: string }).name, "oidc-kube-admins-cluster-admin");
  assertThrows(() => new ClusterRoleBinding({ ...crb, roleRef: {} } as never).validate());
});

Deno.test("clusterFiles() gives each file with how to apply it; the YAML parses back to the objects", () => {
  const files = clusterFiles(settings, V114, "kube-admins");
  assertEquals(files.map((f) => f.name), [PATCH_FILE, BINDING_FILE]);
  assertEquals(parse(files[0]!.text), talosPatchObject(settings, V114));
  assertEquals(parse(files[1]!.text), adminBindingObject(settings, "kube-admins"));
  assertEquals(clusterFiles(settings, V113).length, 1, "no group, no binding");
});

Deno.test("parseTalosVersion() reads 1.13, v1.14.2 and refuses the rest", () => {
  assertEquals(parseTalosVersion("1.13"), V113);
  assertEquals(parseTalosVersion("v1.14.2"), V114);
  assertThrows(() => parseTalosVersion("latest"));
});
