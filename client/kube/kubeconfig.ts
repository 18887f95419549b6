/**
 * @module Read a kubeconfig: where it is (--kubeconfig, $KUBECONFIG, ~/.kube/config), its shape checked the way
 * kubectl needs it (named lists of clusters, contexts and users), and the entries kube setup and doctor look at.
 */

import { join } from "node:path";
import { type Document, isMap, isScalar, isSeq, parseDocument, type YAMLMap } from "yaml";
import { TalosOidcError } from "../../shared/errors.ts";
import { type Env, expandHome, homeDir, type Os } from "../paths.ts";
import type { YamlFileKind } from "../yaml_file.ts";

/** The named lists of a kubeconfig, each item `{name, <singular>: {...}}`. */
const SECTIONS = { clusters: "cluster", contexts: "context", users: "user" } as const;
export type Section = keyof typeof SECTIONS;

/** The kubeconfig as a config file: parsed and shape-checked by parseKubeconfig. */
export const KUBECONFIG: YamlFileKind = {
  what: "kubeconfig",
  code: "ERR_KUBECONFIG",
  check: (text, path) => void parseKubeconfig(text, path),
};

/**
 * The kubeconfig path, in kubectl's order: `--kubeconfig`, else the first entry of `$KUBECONFIG` (a path list),
 * else `~/.kube/config`. `~` is expanded.
 */
export function resolveKubeconfigPath(flag: string | undefined, env: Env, os: Os = Deno.build.os): string {
  if (flag) return expandHome(flag, env, os);
  const first = (env.KUBECONFIG ?? "").split(os === "windows" ? ";" : ":").find((p) => p !== "");
  if (first) return expandHome(first, env, os);
  return join(homeDir(env, os), ".kube", "config");
}

/**
 * Parse kubeconfig text and check what kubectl needs: a mapping at the top; `clusters`, `contexts` and `users`
 * lists of mappings, each with a string `name` that appears once; `current-context` a string.
 * @throws {TalosOidcError} ERR_KUBECONFIG "parsing kubeconfig "<path>" at line N: ..." — the file is left alone.
 */
export function parseKubeconfig(text: string, path = "kubeconfig"): Document.Parsed {
  const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: true });
  const first = doc.errors[0];
  if (first) {
    const line = first.linePos?.[0]?.line ?? lineOf(text, first.pos?.[0]);
    throw broken(path, `${line ? ` at line ${line}` : ""}: ${first.message.split("\n")[0]}`, first);
  }
  const root = doc.contents;
  if (root === null || (isScalar(root) && (root.value === null || root.value === ""))) return doc;
  if (!isMap(root)) throw broken(path, ": the top level is not a mapping");
  for (const section of Object.keys(SECTIONS)) {
    const list = root.get(section, true);
    if (list === undefined || (isScalar(list) && list.value === null)) continue;
    const at = (n: { range?: [number, number, number] | null }) => ` at line ${lineOf(text, n.range?.[0])}`;
    if (!isSeq(list)) throw broken(path, `${at(list)}: "${section}" is not a list`);
    const seen = new Set<string>();
    for (const item of list.items) {
      const name = isMap(item) ? item.get("name") : undefined;
      if (typeof name !== "string" || name === "") {
        throw broken(path, `${at(item as YAMLMap)}: an entry of "${section}" has no name`);
      }
      if (seen.has(name)) throw broken(path, `${at(item as YAMLMap)}: "${section}" names "${name}" twice`);
      seen.add(name);
    }
  }
  const current = root.get("current-context", true);
  if (current !== undefined && !(isScalar(current) && (current.value === null || typeof current.value === "string"))) {
    throw broken(path, ` at line ${lineOf(text, current.range?.[0])}: "current-context" is not a string`);
  }
  return doc;
}

/** Names of the entries of `section`, in file order. */
export function entryNames(doc: Document, section: Section): string[] {
  const list = doc.get(section, true);
  return isSeq(list) ? list.items.map((i) => (isMap(i) ? String(i.get("name")) : "")).filter(Boolean) : [];
}

/** The body (`cluster:`, `context:` or `user:` mapping) of entry `name` of `section`, as plain data. */
export function entry(doc: Document, section: Section, name: string): Record<string, unknown> | undefined {
  const list = doc.get(section, true);
  if (!isSeq(list)) return undefined;
  const item = list.items.find((i) => isMap(i) && i.get("name") === name) as YAMLMap | undefined;
  if (!item) return undefined;
  const body = item.toJSON()[SECTIONS[section]];
  return body && typeof body === "object" && !Array.isArray(body) ? body as Record<string, unknown> : {};
}

/** `current-context` ("" when unset). */
export function currentKubeContext(doc: Document): string {
  const v = doc.get("current-context");
  return typeof v === "string" ? v : "";
}

function lineOf(text: string, offset: number | undefined): number | undefined {
  return offset === undefined ? undefined : text.slice(0, offset).split("\n").length;
}

function broken(path: string, detail: string, cause?: unknown): TalosOidcError {
  return new TalosOidcError("ERR_KUBECONFIG", `parsing kubeconfig "${path}"${detail}`, {
    cause,
    hint: "fix the file by hand (it was not changed), or pass another file with --kubeconfig",
  });
}
