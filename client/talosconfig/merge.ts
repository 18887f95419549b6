/**
 * @module Pure talosconfig edits: add/replace one context's credentials, or remove one context.
 *
 * Only this context's `endpoints`, `nodes` (see below), `ca`, `crt`, `key` and the top-level `context` change.
 * Everything else — other contexts, this context's other keys (`auth`, `cluster`, `proxy-url`, ...), unknown
 * top-level keys, comments — is kept byte-for-byte: edits are spliced into the source text at the parser's ranges.
 * Every spliced result is re-parsed and compared with the same edit done through the yaml Document API; if they
 * differ (an unusual layout such as flow-style maps), the Document API result is used instead, which keeps all
 * keys and comments but may re-indent.
 */

import { isDeepStrictEqual } from "node:util";
import { Document, isMap, isScalar, type YAMLMap } from "yaml";
import type { ContextCredentials } from "../types.ts";
import { TalosOidcError } from "../../shared/errors.ts";
import { parseTalosconfig } from "./read.ts";
import {
  applyEdits,
  detectLayout,
  type Edit,
  findPair,
  insertAfterMap,
  type Layout,
  mapIndent,
  removePairLines,
  renderPair,
  renderScalar,
  replacePair,
  type Value,
} from "./splice.ts";

/** Result of `removeContext`. */
export interface RemoveResult {
  text: string;
  /** The context existed and was removed. */
  removed: boolean;
  /** It was the current context; `context:` is now "" (see removeContext). */
  wasCurrent: boolean;
}

/** Standard base64 (with padding, no line wraps) of the PEM bytes, trimmed to end in exactly one newline. */
export function encodePem(pem: string, what: string): string {
  const trimmed = pem.trim();
  if (trimmed === "") throw new TalosOidcError("ERR_TALOSCONFIG", `writing the context: the ${what} PEM is empty`);
  if (!trimmed.startsWith("-----BEGIN ")) {
    throw new TalosOidcError("ERR_TALOSCONFIG", `writing the context: the ${what} is not PEM`);
  }
  return btoa(String.fromCharCode(...new TextEncoder().encode(trimmed + "\n")));
}

/** Host part of a talosctl endpoint (`host`, `host:port`, `[v6]:port`, `https://host:port`). */
export function endpointHost(endpoint: string): string {
  let e = endpoint.trim().replace(/^[a-z][a-z0-9+.-]*:\/\//i, "").replace(/\/.*$/, "");
  const v6 = e.match(/^\[([^\]]+)\]/);
  if (v6) return v6[1]!;
  if ((e.match(/:/g) ?? []).length === 1) e = e.slice(0, e.indexOf(":"));
  return e;
}

/**
 * Add or replace context `name` with `creds` and make it current (unless `creds.keepCurrent`). Pure: text in, text out.
 * `nodes`: `nodesOverride` when given; else the user's existing non-empty `nodes` are kept; else the server's
 * nodes; else the first endpoint's host (talosctl refuses API calls without nodes).
 * @throws {TalosOidcError} ERR_TALOSCONFIG when the source does not parse or the credentials are unusable.
 */
export function mergeContext(source: string | Document, name: string, creds: ContextCredentials): string {
  if (creds.endpoints.length === 0) {
    throw new TalosOidcError("ERR_TALOSCONFIG", `writing context "${name}": the server sent no endpoints`);
  }
  const src = typeof source === "string" ? source : undefined;
  const doc = typeof source === "string" ? parseTalosconfig(source) : source.clone();
  const oldNodes = (doc.toJS() as { contexts?: Record<string, { nodes?: unknown } | null> } | null)?.contexts?.[name]
    ?.nodes;
  const userNodes = Array.isArray(oldNodes) && oldNodes.length > 0;
  const values: [string, Value][] = [["endpoints", creds.endpoints]];
  if (creds.nodesOverride && creds.nodesOverride.length > 0) values.push(["nodes", creds.nodesOverride]);
  else if (!userNodes) {
    values.push(["nodes", creds.nodes && creds.nodes.length > 0 ? creds.nodes : [endpointHost(creds.endpoints[0]!)]]);
  }
  values.push(["ca", encodePem(creds.ca, "CA certificate")], ["crt", encodePem(creds.crt, "client certificate")]);
  values.push(["key", encodePem(creds.key, "client key")]);

  const reference = doc.clone();
  applyMergeToDocument(reference, name, values, creds.keepCurrent);
  if (src !== undefined) {
    const spliced = spliceMerge(src, doc, name, values, creds.keepCurrent);
    if (spliced !== null && sameContent(spliced, reference)) return spliced;
  }
  return stringifyLike(reference, src);
}

/**
 * Remove context `name`. If it was current, `context:` becomes "" — like talosctl and the original tool, and on
 * purpose: silently switching to another context could point the next `talosctl reboot` at another cluster.
 */
export function removeContext(source: string | Document, name: string): RemoveResult {
  const src = typeof source === "string" ? source : undefined;
  const doc = typeof source === "string" ? parseTalosconfig(source) : source.clone();
  const contexts = doc.get("contexts", true);
  const wasCurrent = doc.get("context") === name;
  if (!isMap(contexts) || !contexts.has(name)) return { text: src ?? doc.toString(), removed: false, wasCurrent };
  const reference = doc.clone();
  const refContexts = reference.get("contexts", true) as YAMLMap;
  refContexts.delete(name);
  if (refContexts.items.length === 0) reference.set("contexts", reference.createNode({}, { flow: true }));
  if (wasCurrent) reference.set("context", "");
  if (src !== undefined) {
    const spliced = spliceRemove(src, doc, name, wasCurrent);
    if (spliced !== null && sameContent(spliced, reference)) return { text: spliced, removed: true, wasCurrent };
  }
  return { text: stringifyLike(reference, src), removed: true, wasCurrent };
}

function applyMergeToDocument(doc: Document, name: string, values: [string, Value][], keepCurrent = false): void {
  if (!isMap(doc.contents)) doc.contents = doc.createNode({}) as never;
  let contexts = doc.get("contexts", true);
  if (!isMap(contexts)) {
    contexts = doc.createNode({});
    doc.set("contexts", contexts);
  }
  let ctx: unknown = (contexts as YAMLMap).get(name, true);
  if (!isMap(ctx)) {
    ctx = doc.createNode({});
    (contexts as YAMLMap).set(name, ctx);
  }
  for (const [k, v] of values) (ctx as YAMLMap).set(k, doc.createNode(v));
  if (!keepCurrent) doc.set("context", name);
}

function spliceMerge(
  src: string,
  doc: Document,
  name: string,
  values: [string, Value][],
  keepCurrent = false,
): string | null {
  const root = doc.contents;
  if (root === null || (isScalar(root) && (root.value === null || root.value === ""))) {
    const layout: Layout = { step: 2, indentSeq: true, eol: src.includes("\r\n") ? "\r\n" : "\n" };
    const current = keepCurrent ? [] : [renderPair("context", name, 0, layout)];
    const body = [...current, "contexts:", contextBlock(name, values, 2, layout)];
    return `${src}${src === "" || src.endsWith("\n") ? "" : "\n"}${body.join(layout.eol)}${layout.eol}`;
  }
  if (!isMap(root) || root.flow) return null;
  const layout = detectLayout(src, root);
  const rootIndent = mapIndent(src, root) ?? 0;
  const edits: (Edit | null)[] = [];
  const contextsPair = findPair(root, "contexts");
  const contexts = contextsPair?.value;
  if (!contextsPair) {
    const block = `${" ".repeat(rootIndent)}contexts:${layout.eol}${
      contextBlock(name, values, rootIndent + layout.step, layout)
    }`;
    edits.push(insertAfterMap(src, root, block, layout));
  } else if (isMap(contexts) && !contexts.flow && contexts.items.length > 0) {
    const ctxIndent = mapIndent(src, contexts)!;
    const ctxPair = findPair(contexts, name);
    const ctx = ctxPair?.value;
    if (!ctxPair) edits.push(insertAfterMap(src, contexts, contextBlock(name, values, ctxIndent, layout), layout));
    else if (isMap(ctx) && !ctx.flow && ctx.items.length > 0) {
      const keyIndent = mapIndent(src, ctx)!;
      const missing: string[] = [];
      for (const [k, v] of values) {
        const p = findPair(ctx, k);
        if (p) edits.push(replacePair(src, p, v, layout));
        else missing.push(renderPair(k, v, keyIndent, layout));
      }
      if (missing.length > 0) edits.push(insertAfterMap(src, ctx, missing.join(layout.eol), layout));
    } else if (isScalar(ctx) && ctx.value === null) {
      // `name:` with nothing under it: fill it in place.
      const edit = replacePair(src, ctxPair, "", layout);
      const lines = values.map(([k, v]) => renderPair(k, v, ctxIndent + layout.step, layout));
      if (edit) edit.text = `${edit.text.replace(/: ""$/, ":")}${layout.eol}${lines.join(layout.eol)}`;
      edits.push(edit);
    } else return null;
  } else if ((isMap(contexts) && contexts.items.length === 0) || (isScalar(contexts) && contexts.value === null)) {
    const edit = replacePair(src, contextsPair, "", layout);
    if (!edit) return null;
    const block = contextBlock(name, values, rootIndent + layout.step, layout);
    edit.text = `${edit.text.replace(/: ""$/, ":")}${layout.eol}${block}`;
    edits.push(edit);
  } else return null;

  const currentPair = findPair(root, "context");
  if (keepCurrent) { /* --no-switch: `context:` stays as it is */ }
  else if (currentPair) edits.push(replacePair(src, currentPair, name, layout));
  else {
    const firstKey = root.items[0]!.key as { range?: [number, number, number] };
    if (!firstKey.range) return null;
    const at = firstKey.range[0] - rootIndent;
    edits.push({ start: at, end: at, text: renderPair("context", name, rootIndent, layout) + layout.eol });
  }
  if (edits.some((e) => e === null)) return null;
  return applyEdits(src, edits as Edit[]);
}

function spliceRemove(src: string, doc: Document, name: string, wasCurrent: boolean): string | null {
  const root = doc.contents;
  if (!isMap(root) || root.flow) return null;
  const layout = detectLayout(src, root);
  const contextsPair = findPair(root, "contexts")!;
  const contexts = contextsPair.value as YAMLMap;
  if (contexts.flow) return null;
  const edits: (Edit | null)[] = [];
  if (contexts.items.length === 1) {
    const e = replacePair(src, contextsPair, "", layout);
    if (e) e.text = e.text.replace(/: ""$/, ": {}");
    edits.push(e);
  } else edits.push(removePairLines(src, findPair(contexts, name)!));
  const currentPair = findPair(root, "context");
  if (wasCurrent && currentPair) edits.push(replacePair(src, currentPair, "", layout));
  if (edits.some((e) => e === null)) return null;
  return applyEdits(src, edits as Edit[]);
}

function contextBlock(name: string, values: [string, Value][], indent: number, layout: Layout): string {
  const head = `${" ".repeat(indent)}${renderScalar(name)}:`;
  return [head, ...values.map(([k, v]) => renderPair(k, v, indent + layout.step, layout))].join(layout.eol);
}

function sameContent(text: string, reference: Document): boolean {
  try {
    return isDeepStrictEqual(parseTalosconfig(text).toJS(), reference.toJS());
  } catch {
    return false;
  }
}

/** Fallback rendering: Document API, never folding long base64 lines, indented like the source when known. */
function stringifyLike(doc: Document, src: string | undefined): string {
  const layout = src && isMap(doc.contents) ? detectLayout(src, doc.contents as YAMLMap) : undefined;
  return doc.toString({ lineWidth: 0, indent: layout?.step ?? 2, indentSeq: layout?.indentSeq ?? true });
}
