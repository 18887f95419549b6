/**
 * @module JSON Schemas (checked with ajv) of the two Talos documents kube setup prints: the v1alpha1 patch with
 * kube-apiserver's `oidc-*` extraArgs (Talos ≤ 1.13) and the KubeAuthenticationConfig document (1.14+), whose
 * `configuration` is kube-apiserver's AuthenticationConfiguration (apiserver.config.k8s.io/v1beta1) with its
 * validation rules: https issuer, ≥ 1 audience, MatchAny for several, `prefix` required next to `claim`.
 * Written from the Talos and Kubernetes reference docs; strict (no unknown keys) so a typo fails.
 */

import { Ajv } from "ajv";

const OIDC_FLAGS = [
  "oidc-issuer-url",
  "oidc-client-id",
  "oidc-username-claim",
  "oidc-username-prefix",
  "oidc-groups-claim",
  "oidc-groups-prefix",
  "oidc-ca-file",
  "oidc-required-claim",
  "oidc-signing-algs",
];

const https = { type: "string", pattern: "^https://[^\\s/?#]+[^\\s?#]*$" };
const closed = (properties: Record<string, unknown>, required: string[] = []) => ({
  type: "object",
  properties,
  required,
  additionalProperties: false,
});
const claimOrExpression = (extra: Record<string, unknown> = {}) => ({
  ...closed({
    claim: { type: "string", minLength: 1 },
    prefix: { type: "string" },
    expression: { type: "string" },
    ...extra,
  }),
  oneOf: [{ required: ["claim"] }, { required: ["expression"] }],
  // kube-apiserver: "prefix is required when claim is set", and it may not go with an expression.
  if: { required: ["claim"] },
  then: { required: ["prefix"] },
  else: { not: { required: ["prefix"] } },
});

const jwtAuthenticator = closed({
  issuer: {
    ...closed({
      url: https,
      discoveryURL: https,
      certificateAuthority: { type: "string" },
      audiences: { type: "array", items: { type: "string", minLength: 1 }, minItems: 1, uniqueItems: true },
      audienceMatchPolicy: { enum: ["MatchAny"] },
    }, ["url", "audiences"]),
    if: { properties: { audiences: { minItems: 2 } } },
    then: { required: ["audienceMatchPolicy"] },
  },
  claimValidationRules: { type: "array" },
  claimMappings: closed({
    username: claimOrExpression(),
    groups: claimOrExpression(),
    uid: { type: "object" },
    extra: { type: "array" },
  }, ["username"]),
  userValidationRules: { type: "array" },
}, ["issuer", "claimMappings"]);

/** Talos 1.14+: `apiVersion: v1alpha1, kind: KubeAuthenticationConfig, configuration: <AuthenticationConfiguration>`. */
export const KUBE_AUTHENTICATION_CONFIG_SCHEMA = closed({
  apiVersion: { const: "v1alpha1" },
  kind: { const: "KubeAuthenticationConfig" },
  configuration: closed({
    // Talos adds these two itself; given, they must be right.
    apiVersion: { const: "apiserver.config.k8s.io/v1beta1" },
    kind: { const: "AuthenticationConfiguration" },
    jwt: { type: "array", items: jwtAuthenticator },
    anonymous: closed({
      enabled: { type: "boolean" },
      conditions: { type: "array", items: closed({ path: { type: "string", pattern: "^/" } }, ["path"]) },
    }, ["enabled"]),
  }),
}, ["apiVersion", "kind", "configuration"]);

/** Talos ≤ 1.13: a v1alpha1 patch setting only `cluster.apiServer.extraArgs`, string values, known oidc flags. */
export const OIDC_EXTRA_ARGS_PATCH_SCHEMA = closed({
  cluster: closed({
    apiServer: closed({
      extraArgs: {
        type: "object",
        propertyNames: { enum: OIDC_FLAGS },
        additionalProperties: { type: "string" },
        properties: { "oidc-issuer-url": https },
        required: ["oidc-issuer-url", "oidc-client-id"],
      },
    }, ["extraArgs"]),
  }, ["apiServer"]),
}, ["cluster"]);

/** Every schema violation of a Talos document kube setup prints, one line each (empty = valid). */
export function talosDocumentErrors(doc: unknown): string[] {
  const ajv = new Ajv({ allErrors: true, strict: true, strictTypes: false, strictRequired: false });
  const isDocument = typeof doc === "object" && doc !== null && "kind" in doc;
  const validate = ajv.compile(isDocument ? KUBE_AUTHENTICATION_CONFIG_SCHEMA : OIDC_EXTRA_ARGS_PATCH_SCHEMA);
  if (validate(doc)) return [];
  return (validate.errors ?? []).map((e) => `${e.instancePath || "/"} ${e.message ?? "is invalid"}`);
}
