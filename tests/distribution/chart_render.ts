/** @module Test helper: render the Helm chart with scripts/render_chart and validate objects with kubernetes-models. */

import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import { ConfigMap } from "kubernetes-models/v1/ConfigMap";
import { PersistentVolumeClaim } from "kubernetes-models/v1/PersistentVolumeClaim";
import { Secret } from "kubernetes-models/v1/Secret";
import { Service } from "kubernetes-models/v1/Service";
import { ServiceAccount } from "kubernetes-models/v1/ServiceAccount";
import { Deployment } from "kubernetes-models/apps/v1/Deployment";
import { Ingress } from "kubernetes-models/networking.k8s.io/v1/Ingress";
import { runProgram } from "./support.ts";

export const ROOT = new URL("../..", import.meta.url).pathname;
export const CHART = join(ROOT, "charts/talosctl-oidc");
const RENDER = join(ROOT, "scripts/render_chart/render.sh");

/** A rendered manifest: loosely typed on purpose, the tests walk it like JSON. */
export type K8sObject = {
  apiVersion: string;
  kind: string;
  // deno-lint-ignore no-explicit-any
  metadata: { name: string; [k: string]: any };
  // deno-lint-ignore no-explicit-any
  [k: string]: any;
};

/** Kubernetes kinds the chart may emit → their kubernetes-models class (JSON-schema validation). */
const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  "v1/ConfigMap": ConfigMap,
  "v1/PersistentVolumeClaim": PersistentVolumeClaim,
  "v1/Secret": Secret,
  "v1/Service": Service,
  "v1/ServiceAccount": ServiceAccount,
  "apps/v1/Deployment": Deployment,
  "networking.k8s.io/v1/Ingress": Ingress,
};

export interface Rendered {
  code: number;
  stdout: string;
  stderr: string;
  objects: K8sObject[];
}

/** `helm template`-equivalent with the given values files (relative to tests/distribution/fixtures). */
export async function renderChart(valueFiles: string[], extra: string[] = []): Promise<Rendered> {
  const args = ["-chart", CHART, "-release", "talosctl-oidc", "-namespace", "talos-system", ...extra];
  for (const f of valueFiles) args.push("-f", join(ROOT, "tests/distribution/fixtures", f));
  const r = await runProgram(RENDER, args);
  // Kubernetes reads manifests as YAML 1.1 (sigs.k8s.io/yaml): 0440 is octal there.
  const docs = r.code === 0 && !extra.includes("-notes") ? parseAllDocuments(r.stdout, { version: "1.1" }) : [];
  const objects = (Array.isArray(docs) ? docs : [docs]).map((d) => {
    if (d.errors.length > 0) throw new Error(`rendered YAML does not parse: ${d.errors[0]}`);
    return d.toJS() as K8sObject;
  }).filter(Boolean);
  return { ...r, objects };
}

/** Validate an object against its Kubernetes schema; throws naming the kind and the failing path. */
export function validateObject(obj: K8sObject): void {
  const Model = MODELS[`${obj.apiVersion}/${obj.kind}`];
  if (!Model) throw new Error(`no schema for ${obj.apiVersion} ${obj.kind}`);
  try {
    new Model(obj as never).validate();
  } catch (err) {
    throw new Error(`${obj.kind} ${obj.metadata.name}: ${(err as Error).message}`);
  }
}

/** The single object of a kind (throws when there is not exactly one). */
export function only(objects: K8sObject[], kind: string): K8sObject {
  const found = objects.filter((o) => o.kind === kind);
  if (found.length !== 1) throw new Error(`expected one ${kind}, got ${found.length}`);
  return found[0]!;
}

/** yamllint with the rules a generated manifest can honour (helm output style: unindented sequences). */
export async function yamllint(paths: string[]): Promise<{ code: number; output: string }> {
  const config = JSON.stringify({
    extends: "default",
    rules: {
      "line-length": { max: 160 },
      "document-start": "disable",
      "truthy": { "check-keys": false },
      "braces": { "max-spaces-inside": 1 },
      "brackets": { "max-spaces-inside": 1 },
      "indentation": { "indent-sequences": "whatever" },
      "comments": { "min-spaces-from-content": 1 },
    },
  });
  const r = await runProgram("yamllint", ["-s", "-d", config, ...paths]);
  return { code: r.code, output: r.stdout + r.stderr };
}
