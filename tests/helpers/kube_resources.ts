/**
 * @module The few kube-apiserver resources the stand-in serves to an authenticated caller: API discovery for
 * kubectl's REST mapping, and ClusterRoleBindings (get, create, list) so `kubectl apply -f` of kube setup's
 * binding really runs. Bodies are checked with kubernetes-models, as the API server validates what it stores.
 */

import { ClusterRoleBinding } from "kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRoleBinding";

const RBAC = "rbac.authorization.k8s.io";
const CRB_PATH = `/apis/${RBAC}/v1/clusterrolebindings`;

/** An answer: status and JSON body. */
export interface KubeAnswer {
  status: number;
  body: unknown;
}

/** kube-apiserver's Status object. */
export function kubeStatus(code: number, reason: string, message: string) {
  return { kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message, reason, code };
}

/** Route one authenticated request (method, path, JSON body) to discovery or the stored bindings. */
export function createResources(): {
  handle(method: string, path: string, body: unknown): KubeAnswer | undefined;
  bindings: Map<string, Record<string, unknown>>;
} {
  const bindings = new Map<string, Record<string, unknown>>();
  const group = (name: string) => ({
    name,
    versions: [{ groupVersion: `${name}/v1`, version: "v1" }],
    preferredVersion: { groupVersion: `${name}/v1`, version: "v1" },
  });
  const handle = (method: string, path: string, body: unknown): KubeAnswer | undefined => {
    if (method === "GET" && path === "/api") {
      return { status: 200, body: { kind: "APIVersions", versions: ["v1"], serverAddressByClientCIDRs: [] } };
    }
    if (method === "GET" && path === "/api/v1") {
      return { status: 200, body: { kind: "APIResourceList", groupVersion: "v1", resources: [] } };
    }
    if (method === "GET" && path === "/apis") {
      return {
        status: 200,
        body: { kind: "APIGroupList", apiVersion: "v1", groups: [group(RBAC), group("authentication.k8s.io")] },
      };
    }
    if (method === "GET" && path === `/apis/${RBAC}/v1`) {
      const resource = {
        name: "clusterrolebindings",
        singularName: "clusterrolebinding",
        namespaced: false,
        kind: "ClusterRoleBinding",
        verbs: ["create", "get", "list", "patch", "update"],
      };
      return { status: 200, body: { kind: "APIResourceList", groupVersion: `${RBAC}/v1`, resources: [resource] } };
    }
    if (method === "GET" && path === CRB_PATH) {
      return {
        status: 200,
        body: { kind: "ClusterRoleBindingList", apiVersion: `${RBAC}/v1`, items: [...bindings.values()] },
      };
    }
    const name = path.startsWith(`${CRB_PATH}/`) ? decodeURIComponent(path.slice(CRB_PATH.length + 1)) : undefined;
    if (method === "GET" && name !== undefined) {
      const found = bindings.get(name);
      return found
        ? { status: 200, body: found }
        : { status: 404, body: kubeStatus(404, "NotFound", `clusterrolebindings.${RBAC} "${name}" not found`) };
    }
    if (method === "POST" && path === CRB_PATH) {
      try {
        new ClusterRoleBinding(body as never).validate();
      } catch (err) {
        return { status: 422, body: kubeStatus(422, "Invalid", `ClusterRoleBinding is invalid: ${err}`) };
      }
      const obj = body as { metadata: { name: string } };
      if (bindings.has(obj.metadata.name)) {
        return { status: 409, body: kubeStatus(409, "AlreadyExists", `"${obj.metadata.name}" already exists`) };
      }
      const stored = { ...obj, metadata: { ...obj.metadata, uid: crypto.randomUUID(), resourceVersion: "1" } };
      bindings.set(obj.metadata.name, stored);
      return { status: 201, body: stored };
    }
    return undefined;
  };
  return { handle, bindings };
}
