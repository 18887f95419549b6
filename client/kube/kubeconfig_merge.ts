/**
 * @module Pure kubeconfig edit for `kube setup`: add or replace one exec user and one context that binds it to an
 * existing cluster, and optionally make that context current. Everything else — other entries, this context's
 * other keys (namespace, extensions), unknown keys, comments — is kept: the edit goes through the yaml Document,
 * written back in the file's own indentation, and a result whose untouched parts differ from the source is refused.
 */

import { isDeepStrictEqual } from "node:util";
import { type Document, isMap, isSeq, YAMLMap, YAMLSeq } from "yaml";
import { TalosOidcError } from "../../shared/errors.ts";
import { detectLayout } from "../talosconfig/splice.ts";
import { EXEC_API_V1 } from "./exec_credential.ts";
import { entryNames, parseKubeconfig, type Section } from "./kubeconfig.ts";

/** A kubeconfig `user.exec` block (client.authentication.k8s.io/v1). */
export interface ExecConfig {
  apiVersion: typeof EXEC_API_V1;
  /** Absolute path of the plugin (kubectl does not search PATH relative to the kubeconfig). */
  command: string;
  args: string[];
  /** Extra environment for the plugin (kept out of argv: e.g. a client secret). */
  env: { name: string; value: string }[] | null;
  /** Required in v1: IfAvailable = a browser only when kubectl runs in a terminal. */
  interactiveMode: "Never" | "IfAvailable" | "Always";
  provideClusterInfo: boolean;
  /** Shown by kubectl when `command` is missing. */
  installHint: string;
}

export interface KubeSetupEdit {
  /** The kubeconfig user to write (replaced whole when it exists). */
  user: string;
  /** The context to write (its `cluster` and `user` are set; its other keys are kept). */
  context: string;
  /** An existing cluster entry. */
  cluster: string;
  exec: ExecConfig;
  /** Set `current-context` to `context`. */
  makeCurrent: boolean;
}

/**
 * Apply `edit` to kubeconfig text. Text in, text out; the same text back when nothing changes (idempotent).
 * @throws {TalosOidcError} ERR_KUBECONFIG when the source is broken or the cluster entry does not exist.
 */
export function applyKubeSetup(src: string, edit: KubeSetupEdit, path = "kubeconfig"): string {
  const doc = parseKubeconfig(src, path);
  const clusters = entryNames(doc, "clusters");
  if (!clusters.includes(edit.cluster)) {
    throw new TalosOidcError("ERR_KUBECONFIG", `kubeconfig "${path}" has no cluster "${edit.cluster}"`, {
      hint: clusters.length > 0
        ? `pass --cluster with one of: ${clusters.join(", ")}`
        : `add the cluster first (talosctl kubeconfig ${path === "kubeconfig" ? "" : path}), then run kube setup again`,
    });
  }
  const before = doc.toJS() as Record<string, unknown>;
  const layout = isMap(doc.contents) ? detectLayout(src, doc.contents as YAMLMap) : undefined;
  upsert(doc, "users", edit.user, (item) => item.set("user", doc.createNode({ exec: edit.exec })), () => ({
    name: edit.user,
    user: { exec: edit.exec },
  }));
  upsert(doc, "contexts", edit.context, (item) => {
    const found: unknown = item.get("context", true);
    const body = isMap(found) ? found : new YAMLMap();
    if (body !== found) item.set("context", body);
    body.set("cluster", edit.cluster);
    body.set("user", edit.user);
  }, () => ({ context: { cluster: edit.cluster, user: edit.user }, name: edit.context }));
  if (edit.makeCurrent) doc.set("current-context", edit.context);
  const after = doc.toJS() as Record<string, unknown>;
  if (isDeepStrictEqual(before, after)) return src;
  const text = doc.toString({ lineWidth: 0, indent: layout?.step ?? 2, indentSeq: layout?.indentSeq ?? false });
  if (!keepsTheRest(before, parseKubeconfig(text, path).toJS(), edit)) {
    throw new TalosOidcError("ERR_KUBECONFIG", `editing kubeconfig "${path}" would change entries it must keep`, {
      hint: "the file was not changed; report this with the file's layout (no secrets)",
    });
  }
  return text;
}

/** Replace entry `name` of `section` in place with `update`, or append `create()` (the list is created if absent). */
function upsert(
  doc: Document,
  section: Section,
  name: string,
  update: (item: YAMLMap) => void,
  create: () => Record<string, unknown>,
): void {
  let list = doc.get(section, true);
  if (!isSeq(list)) doc.set(section, list = new YAMLSeq());
  const item = (list as YAMLSeq).items.find((i) => isMap(i) && i.get("name") === name);
  if (isMap(item)) update(item);
  else {
    (list as YAMLSeq).flow = false; // `users: []` grows into a block list like kubectl's
    (list as YAMLSeq).items.push(doc.createNode(create()));
  }
}

/** Everything but our user, our context's cluster/user and current-context is as it was. */
function keepsTheRest(before: Record<string, unknown>, after: unknown, edit: KubeSetupEdit): boolean {
  const strip = (config: unknown) => {
    const c = structuredClone(config ?? {}) as Record<string, unknown>;
    delete c["current-context"];
    c.users = ((c.users ?? []) as { name: string }[]).filter((u) => u.name !== edit.user);
    c.contexts = ((c.contexts ?? []) as { name: string; context?: Record<string, unknown> }[]).flatMap((x) => {
      if (x.name !== edit.context) return [x];
      const { cluster: _c, user: _u, ...rest } = x.context ?? {};
      return Object.keys(rest).length > 0 || Object.keys(x).length > 2 ? [{ ...x, context: rest }] : [];
    });
    return c;
  };
  return isDeepStrictEqual(strip(before), strip(after));
}
