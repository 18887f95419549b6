/** @module The audit log's hash chain: canonical JSON, the per-line hash, and verification of a whole file. */

import { createHash, createHmac } from "node:crypto";

/** `prev_hash` of the first line of a chain that has no predecessor. */
export const GENESIS_HASH = "0".repeat(64);
export const HEX64 = /^[0-9a-f]{64}$/;

/**
 * hex SHA-256 over `prev_hash` followed by the canonical JSON of the line without its `hash`; with `key`,
 * HMAC-SHA-256 under that key over the same bytes, so only the key's holder can compute a valid chain.
 */
export function chainHash(prevHash: string, lineWithoutHash: Record<string, unknown>, key?: Uint8Array): string {
  const canonical = flatJson(lineWithoutHash) ?? canonicalJson(lineWithoutHash);
  const h = key ? createHmac("sha256", key) : createHash("sha256");
  return h.update(prevHash).update(canonical).digest("hex");
}

/**
 * JSON of a flat record (values: primitives or arrays of primitives) with its keys sorted:
 * byte-identical to canonicalJson for such records, several times faster. Undefined for nested objects.
 */
export function flatJson(rec: Record<string, unknown>): string | undefined {
  const keys = Object.keys(rec);
  for (const k of keys) {
    const v = rec[k];
    if (
      v !== null && typeof v === "object" && (!Array.isArray(v) || v.some((x) => x !== null && typeof x === "object"))
    ) {
      return undefined;
    }
  }
  keys.sort();
  // A copy with its keys inserted in sorted order serialises twice as fast as a replacer key list. Integer-like
  // keys would be enumerated first whatever the insertion order (and "__proto__" would not be copied), so
  // those records keep the key list.
  if (keys.some(needsKeyList)) return JSON.stringify(rec, keys);
  const ordered: Record<string, unknown> = {};
  for (const k of keys) ordered[k] = rec[k];
  return JSON.stringify(ordered);
}

function needsKeyList(key: string): boolean {
  return key === "__proto__" || /^(?:0|[1-9]\d*)$/.test(key);
}

/** JSON with object keys sorted at every level and no whitespace (stable across writers). */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value && typeof value === "object") {
    const keys = Object.keys(value).filter((k) => (value as Record<string, unknown>)[k] !== undefined).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`)}}`;
  }
  return JSON.stringify(value) ?? "null";
}

export interface ChainProblem {
  /** 1-based line number. */
  line: number;
  message: string;
}

export interface ChainReport {
  ok: boolean;
  /** Number of event lines checked. */
  lines: number;
  /** `prev_hash` of the first line (the anchor to the previous file). */
  firstPrevHash?: string;
  /** `hash` of the last line: compare with the next file's first `prev_hash`. */
  lastHash?: string;
  problems: ChainProblem[];
}

/**
 * Check the hash chain of an audit log's text (with `key`, an HMAC chain). With `startHash` the first line must
 * continue that chain (GENESIS_HASH for a first file, else the last hash of the previous, rotated file); without
 * it the first line's `prev_hash` is taken as given. Reports every break: edited lines (hash mismatch), and removed,
 * inserted or reordered lines (prev_hash mismatch). A truncated tail needs an outside anchor.
 */
export function verifyAuditChain(
  text: string,
  options: { startHash?: string; key?: Uint8Array } = {},
): ChainReport {
  const problems: ChainProblem[] = [];
  let expected = options.startHash;
  let firstPrevHash: string | undefined;
  let count = 0;
  text.split("\n").forEach((raw, i) => {
    if (raw.trim() === "") return;
    const line = i + 1;
    count++;
    let rec: Record<string, unknown>;
    try {
      rec = JSON.parse(raw);
      if (!rec || typeof rec !== "object" || Array.isArray(rec)) throw new SyntaxError("not an object");
    } catch {
      problems.push({ line, message: "not a JSON object" });
      expected = undefined;
      return;
    }
    const { hash, ...rest } = rec;
    const prev = rest.prev_hash;
    if (typeof hash !== "string" || !HEX64.test(hash) || typeof prev !== "string" || !HEX64.test(prev)) {
      problems.push({ line, message: "missing or malformed hash/prev_hash (not part of a chain)" });
      expected = undefined;
      return;
    }
    firstPrevHash ??= prev;
    if (expected !== undefined && prev !== expected) {
      problems.push({
        line,
        message: "prev_hash does not match the previous line's hash (a line was removed, inserted or reordered)",
      });
    }
    if (chainHash(prev, rest, options.key) !== hash) {
      problems.push({ line, message: "hash does not match the line's content (the line was edited)" });
    }
    expected = hash;
  });
  return { ok: problems.length === 0, lines: count, firstPrevHash, lastHash: expected, problems };
}
