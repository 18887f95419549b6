/**
 * @module What the cluster needs for kubectl sign-in, as YAML to apply: kube-apiserver's OIDC settings as a Talos
 * machine-config patch (Talos ≤ 1.13: `cluster.apiServer.extraArgs`; 1.14+: a KubeAuthenticationConfig document),
 * and a ClusterRoleBinding that makes an IdP group cluster-admin, named as kube-apiserver will see it (prefixed).
 */

import { stringify } from "yaml";
import { TalosOidcError } from "../../shared/errors.ts";

/** How kube-apiserver maps an ID token to a Kubernetes user. */
export interface KubeOidcSettings {
  /** Exactly the `iss` of the tokens (https). */
  issuer: string;
  /** The OIDC client id: the token's `aud` must contain it. */
  clientId: string;
  usernameClaim: string;
  /** "" = no groups. */
  groupsClaim: string;
  /** Put in front of usernames and groups ("" = none), so IdP names never clash with `system:` ones. */
  prefix: string;
}

/** A Talos version as major.minor. */
export interface TalosVersion {
  major: number;
  minor: number;
}

/** The Talos release that moved kube-apiserver's authentication into a KubeAuthenticationConfig document. */
const STRUCTURED_AUTH_SINCE: TalosVersion = { major: 1, minor: 14 };

/**
 * Parse `--talos-version` ("1.13", "v1.14.2").
 * @throws {TalosOidcError} ERR_USAGE for anything else.
 */
export function parseTalosVersion(text: string): TalosVersion {
  const m = text.trim().match(/^v?(\d+)\.(\d+)(?:\.\d+)?(?:[-+].*)?$/);
  if (!m) {
    throw new TalosOidcError("ERR_USAGE", `invalid --talos-version "${text}"`, {
      hint: 'use the version your control plane runs, e.g. "1.13" or "v1.14.2" (talosctl version)',
    });
  }
  return { major: Number(m[1]), minor: Number(m[2]) };
}

/** True when this Talos takes the KubeAuthenticationConfig document (and refuses `oidc-*` extraArgs). */
function usesStructuredAuth(v: TalosVersion): boolean {
  return v.major > STRUCTURED_AUTH_SINCE.major ||
    (v.major === STRUCTURED_AUTH_SINCE.major && v.minor >= STRUCTURED_AUTH_SINCE.minor);
}

/** The patch applied to the control-plane nodes, as a plain object (what the YAML holds). */
export function talosPatchObject(s: KubeOidcSettings, version: TalosVersion): Record<string, unknown> {
  if (usesStructuredAuth(version)) {
    return {
      apiVersion: "v1alpha1",
      kind: "KubeAuthenticationConfig",
      configuration: {
        // The document replaces Talos's default one whole (merge: replace): keep its anonymous health checks, or
        // the kubelet's probes of kube-apiserver start failing.
        anonymous: { enabled: true, conditions: [{ path: "/livez" }, { path: "/readyz" }, { path: "/healthz" }] },
        jwt: [{
          issuer: { url: s.issuer, audiences: [s.clientId] },
          claimMappings: {
            // `prefix` is required whenever `claim` is set (it may be "").
            username: { claim: s.usernameClaim, prefix: s.prefix },
            ...(s.groupsClaim ? { groups: { claim: s.groupsClaim, prefix: s.prefix } } : {}),
          },
        }],
      },
    };
  }
  const args: Record<string, string> = {
    "oidc-issuer-url": s.issuer,
    "oidc-client-id": s.clientId,
    "oidc-username-claim": s.usernameClaim,
    // With flags, an empty prefix means "<issuer>#" for claims other than email; "-" means none.
    "oidc-username-prefix": s.prefix === "" ? "-" : s.prefix,
  };
  if (s.groupsClaim) {
    args["oidc-groups-claim"] = s.groupsClaim;
    if (s.prefix !== "") args["oidc-groups-prefix"] = s.prefix;
  }
  return { cluster: { apiServer: { extraArgs: args } } };
}

/** The group name as kube-apiserver sees it for IdP group `group`. */
function kubeGroupName(s: Pick<KubeOidcSettings, "prefix">, group: string): string {
  return `${s.prefix}${group}`;
}

/** A ClusterRoleBinding of ClusterRole `cluster-admin` to the (prefixed) IdP group, as a plain object. */
export function adminBindingObject(s: Pick<KubeOidcSettings, "prefix">, group: string): Record<string, unknown> {
  const name = `oidc-${group}-cluster-admin`.toLowerCase().replace(/[^a-z0-9.-]+/g, "-").replace(/^-+|-+$/g, "")
    .slice(0, 253);
  return {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "ClusterRoleBinding",
    metadata: { name },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "cluster-admin" },
    subjects: [{ apiGroup: "rbac.authorization.k8s.io", kind: "Group", name: kubeGroupName(s, group) }],
  };
}

/** One file of cluster-side YAML: its name under --output-dir, how to apply it, and its text. */
export interface ClusterFile {
  name: string;
  apply: string;
  text: string;
}

export const PATCH_FILE = "talos-kube-oidc-patch.yaml";
export const BINDING_FILE = "kube-oidc-admin-binding.yaml";

/** The files kube setup prints or writes: the Talos patch, and the ClusterRoleBinding when a group is given. */
export function clusterFiles(s: KubeOidcSettings, version: TalosVersion, adminGroup?: string): ClusterFile[] {
  const v = `Talos ${usesStructuredAuth(version) ? ">= 1.14" : "<= 1.13"}`;
  const files: ClusterFile[] = [{
    name: PATCH_FILE,
    apply: `talosctl patch mc --nodes <control-plane nodes> --patch @${PATCH_FILE}`,
    text: `# kube-apiserver OIDC sign-in for kubectl (${v}), for the control-plane nodes only.\n` +
      yaml(talosPatchObject(s, version)),
  }];
  if (adminGroup) {
    files.push({
      name: BINDING_FILE,
      apply: `kubectl apply -f ${BINDING_FILE}`,
      text: `# Members of the IdP group "${adminGroup}" are cluster-admin.\n` + yaml(adminBindingObject(s, adminGroup)),
    });
  }
  return files;
}

function yaml(value: unknown): string {
  return stringify(value, { lineWidth: 0 });
}
