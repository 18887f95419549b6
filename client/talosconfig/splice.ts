/**
 * @module Byte-preserving edits of YAML source: replace or insert single pairs using the parser's source ranges.
 *
 * Everything outside the edited ranges stays byte-for-byte as the user wrote it (comments, quoting, blank lines,
 * indentation). Callers verify the result against a Document-API reference and fall back when an edit cannot be
 * made safely here (flow collections, odd layouts): these helpers return null in that case.
 */

import { isMap, isScalar, isSeq, type Node, type Pair, stringify, type YAMLMap } from "yaml";

/** One replacement of `src.slice(start, end)` by `text`. */
export interface Edit {
  start: number;
  end: number;
  text: string;
}

/** Layout of the file, detected so inserted lines look like their neighbours. */
export interface Layout {
  /** Spaces per nesting level. */
  step: number;
  /** Whether block sequence items are indented under their key (`key:\n  - a`) or not (`key:\n- a`). */
  indentSeq: boolean;
  eol: string;
}

export type Value = string | string[];

/** Apply non-overlapping edits. */
export function applyEdits(src: string, edits: Edit[]): string {
  let out = src;
  for (const e of [...edits].sort((a, b) => b.start - a.start)) out = out.slice(0, e.start) + e.text + out.slice(e.end);
  return out;
}

/** Column of a source offset. */
export function column(src: string, offset: number): number {
  return offset - (src.lastIndexOf("\n", offset - 1) + 1);
}

/** Offset of the start of the line holding `offset`. */
function lineStart(src: string, offset: number): number {
  return src.lastIndexOf("\n", offset - 1) + 1;
}

/** Offset just after the newline ending the line that holds `offset - 1` (or `offset` if it starts a line). */
function lineEndAfter(src: string, offset: number): number {
  if (offset > 0 && src[offset - 1] === "\n") return offset;
  const nl = src.indexOf("\n", offset);
  return nl < 0 ? src.length : nl + 1;
}

/** Detect indentation step and sequence style from a parsed map (defaults: 2 spaces, indented sequences). */
export function detectLayout(src: string, root: YAMLMap): Layout {
  const layout: Layout = { step: 2, indentSeq: true, eol: src.includes("\r\n") ? "\r\n" : "\n" };
  let stepFound = false;
  let seqFound = false;
  const walk = (map: YAMLMap, depth: number) => {
    if (depth > 6 || (stepFound && seqFound)) return;
    for (const p of map.items) {
      const k = p.key as Node | null;
      const v = p.value as Node | null;
      if (!k?.range || !v?.range) continue;
      const keyCol = column(src, k.range[0]);
      if (!stepFound && isMap(v) && !v.flow && v.items[0]?.key) {
        const inner = column(src, (v.items[0].key as Node).range![0]);
        if (inner > keyCol) [layout.step, stepFound] = [inner - keyCol, true];
      }
      if (!seqFound && isSeq(v) && !v.flow && v.items.length > 0) {
        [layout.indentSeq, seqFound] = [column(src, v.range[0]) > keyCol, true];
      }
      if (isMap(v) && !v.flow) walk(v, depth + 1);
    }
  };
  walk(root, 0);
  return layout;
}

/** A scalar as YAML (quoted only when needed; never folded). */
export function renderScalar(value: string): string {
  return stringify(value, { lineWidth: 0 }).trimEnd();
}

/** `key: value` lines at `indent`, sequences in block style (or flow when `flow`). No trailing newline. */
export function renderPair(key: string, value: Value, indent: number, layout: Layout, flow = false): string {
  const pad = " ".repeat(indent);
  if (!Array.isArray(value)) return `${pad}${key}: ${renderScalar(value)}`;
  if (flow || value.length === 0) return `${pad}${key}: [${value.map(renderScalar).join(", ")}]`;
  const itemPad = " ".repeat(indent + (layout.indentSeq ? layout.step : 0));
  return [`${pad}${key}:`, ...value.map((v) => `${itemPad}- ${renderScalar(v)}`)].join(layout.eol);
}

/** End of a pair's content: after its value (or key), before trailing spaces, newline and comment. */
function pairContentEnd(src: string, pair: Pair): number | null {
  const k = pair.key as Node | null;
  const v = pair.value as Node | null;
  if (!k?.range) return null;
  let end = Math.max(k.range[1], v?.range?.[1] ?? 0);
  while (end > k.range[1] && /[\s]/.test(src[end - 1]!)) end--;
  // A null value can end before the ":"; consume it so the replacement does not leave a stray colon.
  const rest = src.slice(end, lineEndAfter(src, end));
  const colon = rest.match(/^[ \t]*:/);
  if (colon) end += colon[0].length;
  return end;
}

/** Replace a whole pair (key through value content) with `key: value` at its own column, keeping its key text. */
export function replacePair(src: string, pair: Pair, value: Value, layout: Layout, flow?: boolean): Edit | null {
  const k = pair.key as Node | null;
  const end = pairContentEnd(src, pair);
  if (!k?.range || end === null) return null;
  const keyText = src.slice(k.range[0], k.range[1]);
  const v = pair.value as Node | null;
  const keepFlow = flow ?? (isSeq(v) && v.flow === true);
  const text = renderPair(keyText, value, column(src, k.range[0]), layout, keepFlow).trimStart();
  return { start: k.range[0], end, text };
}

/** Insert full lines (already indented, without final newline) after the last pair of a block map. */
export function insertAfterMap(src: string, map: YAMLMap, lines: string, layout: Layout): Edit | null {
  const last = map.items[map.items.length - 1];
  if (!last) return null;
  const end = pairContentEnd(src, last);
  if (end === null) return null;
  const at = lineEndAfter(src, end);
  const needsNl = at === src.length && !src.endsWith("\n");
  return { start: at, end: at, text: `${needsNl ? layout.eol : ""}${lines}${layout.eol}` };
}

/** Remove a pair's lines entirely (from its key's line start to the end of its content's line). */
export function removePairLines(src: string, pair: Pair): Edit | null {
  const k = pair.key as Node | null;
  const end = pairContentEnd(src, pair);
  if (!k?.range || end === null) return null;
  const start = lineStart(src, k.range[0]);
  if (src.slice(start, k.range[0]).trim() !== "") return null; // not alone on its line
  return { start, end: lineEndAfter(src, end), text: "" };
}

/** The pair whose key is the string `key`, if any. */
export function findPair(map: YAMLMap, key: string): Pair | undefined {
  return map.items.find((p) => (isScalar(p.key) ? String(p.key.value) : String(p.key)) === key) as Pair | undefined;
}

/** Column of the first key of a block map (its indentation). */
export function mapIndent(src: string, map: YAMLMap): number | null {
  const first = map.items[0]?.key as Node | undefined;
  return first?.range ? column(src, first.range[0]) : null;
}
