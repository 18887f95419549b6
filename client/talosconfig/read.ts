/** @module Read and parse a talosconfig into a yaml Document; a broken file is an error naming path and line. */

import { type Document, isMap, isScalar, parseDocument } from "yaml";
import { TalosOidcError } from "../../shared/errors.ts";

/** A talosconfig as read from disk: its exact text (for byte-preserving edits) and its parsed Document. */
export interface LoadedTalosconfig {
  path: string;
  /** False when the file does not exist (then `text` is ""). */
  exists: boolean;
  text: string;
  doc: Document.Parsed;
}

/** The parts of a talosconfig context that commands look at (the Document keeps everything else). */
export interface ContextView {
  endpoints: string[];
  nodes: string[];
  ca?: string;
  crt?: string;
  key?: string;
}

/**
 * Read the talosconfig at `path`. A missing file is an empty config.
 * @throws {TalosOidcError} ERR_TALOSCONFIG when it cannot be read or parsed (message names path and line).
 */
export async function readTalosconfig(path: string): Promise<LoadedTalosconfig> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return { path, exists: false, text: "", doc: parseTalosconfig("", path) };
    throw new TalosOidcError("ERR_TALOSCONFIG", `reading talosconfig "${path}"`, {
      cause: err,
      hint: "check the file's permissions, or pass another file with --talosconfig",
    });
  }
  return { path, exists: true, text, doc: parseTalosconfig(text, path) };
}

/**
 * Parse talosconfig text. Also checks the shape talosctl needs: a mapping at the top, `contexts` a mapping,
 * `context` a string.
 * @throws {TalosOidcError} ERR_TALOSCONFIG "parsing talosconfig "<path>" at line N: ..." — the file is left alone.
 */
export function parseTalosconfig(text: string, path = "talosconfig"): Document.Parsed {
  const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: true });
  const first = doc.errors[0];
  if (first) {
    const line = first.linePos?.[0]?.line;
    const where = line ? ` at line ${line}` : lineOf(text, first.pos?.[0]);
    throw broken(path, `${where}: ${first.message.split("\n")[0]}`, first);
  }
  const root = doc.contents;
  if (root === null || (isScalar(root) && (root.value === null || root.value === ""))) return doc;
  if (!isMap(root)) throw broken(path, ": the top level is not a mapping");
  const contexts = root.get("contexts", true);
  if (contexts !== undefined && !isMap(contexts) && !(isScalar(contexts) && contexts.value === null)) {
    throw broken(path, `${lineOf(text, contexts.range?.[0])}: "contexts" is not a mapping`);
  }
  const current = root.get("context", true);
  if (current !== undefined && !(isScalar(current) && (current.value === null || typeof current.value === "string"))) {
    throw broken(path, `${lineOf(text, current.range?.[0])}: "context" is not a string`);
  }
  return doc;
}

/** The current context name ("" when unset). */
export function currentContext(doc: Document): string {
  const v = doc.get("context");
  return typeof v === "string" ? v : "";
}

/** Names of all contexts, in file order. */
export function contextNames(doc: Document): string[] {
  const contexts = doc.get("contexts", true);
  return isMap(contexts) ? contexts.items.map((p) => String(isScalar(p.key) ? p.key.value : p.key)) : [];
}

/** The named context's endpoints, nodes and credentials, or null when it does not exist. */
export function getContext(doc: Document, name: string): ContextView | null {
  const node = doc.getIn(["contexts", name], true);
  if (node === undefined) return null;
  const ctx = isMap(node) ? node.toJSON() as Record<string, unknown> : {};
  const strings = (v: unknown) => Array.isArray(v) ? v.filter((x) => x !== null).map(String) : [];
  const opt = (v: unknown) => typeof v === "string" && v !== "" ? v : undefined;
  return {
    endpoints: strings(ctx.endpoints),
    nodes: strings(ctx.nodes),
    ca: opt(ctx.ca),
    crt: opt(ctx.crt),
    key: opt(ctx.key),
  };
}

function lineOf(text: string, offset: number | undefined): string {
  if (offset === undefined) return "";
  return ` at line ${text.slice(0, offset).split("\n").length}`;
}

function broken(path: string, detail: string, cause?: unknown): TalosOidcError {
  return new TalosOidcError("ERR_TALOSCONFIG", `parsing talosconfig "${path}"${detail}`, {
    cause,
    hint: "fix the file by hand (it was not changed), or pass another file with --talosconfig",
  });
}
