/** @module Explain an audit chain check: the first broken line and why (edited, deleted, reordered, truncated). */

import { type ChainReport, GENESIS_HASH, verifyAuditChain } from "../audit/audit_log.ts";

export type BreakKind = "edited" | "deleted" | "reordered" | "truncated" | "malformed";

export interface ChainBreak {
  /** 1-based line number of the first line that does not fit. */
  line: number;
  kind: BreakKind;
  why: string;
}

export interface AuditVerdict {
  ok: boolean;
  lines: number;
  firstPrevHash?: string;
  lastHash?: string;
  /** The first break, explained; undefined when ok. */
  first?: ChainBreak;
  /** Every problem verifyAuditChain found, as reported. */
  problems: ChainReport["problems"];
}

export interface ExplainOptions {
  /**
   * The hash the first line must continue: the previous (rotated) file's last hash. Default GENESIS_HASH, so a
   * file whose first lines were dropped is flagged.
   */
  startHash?: string;
  /** The chain's HMAC key (audit_hmac_key_file), when it was written with one. */
  key?: Uint8Array;
  /** A hash recorded earlier (e.g. `audit_head` from /admin/stats): the file must still contain it. */
  expectHash?: string;
}

/** Check a chain and classify its first break. Pure: text in, verdict out. */
export function explainAuditChain(text: string, options: ExplainOptions = {}): AuditVerdict {
  const startHash = options.startHash ?? GENESIS_HASH;
  const report = verifyAuditChain(text, { startHash, ...(options.key ? { key: options.key } : {}) });
  const raw = text.split("\n");
  const hashes = raw.map(hashOf);
  const at = new Map<string, number>();
  hashes.forEach((h, i) => h && !at.has(h.hash) && at.set(h.hash, i + 1));
  const base = { lines: report.lines, firstPrevHash: report.firstPrevHash, lastHash: report.lastHash };

  const lastIdx = raw.length - 1;
  const firstLine = raw.findIndex((l) => l.trim() !== "") + 1;
  const lastLine = raw.findLastIndex((l) => l.trim() !== "") + 1;
  const cutTail = text.length > 0 && !text.endsWith("\n") && hashes[lastIdx] === undefined;
  const breaks: ChainBreak[] = [];
  for (const p of report.problems) {
    const h = hashes[p.line - 1];
    if (p.line === lastIdx + 1 && cutTail) {
      breaks.push({
        line: p.line,
        kind: "truncated",
        why: "the last line is cut off (the file was truncated mid-line)",
      });
    } else if (!h) breaks.push({ line: p.line, kind: "malformed", why: p.message });
    else if (/edited/.test(p.message)) breaks.push({ line: p.line, kind: "edited", why: editedWhy(options.key) });
    else {
      const anchor = p.line === firstLine ? { given: options.startHash !== undefined } : undefined;
      breaks.push(explainLink(p.line, h.prev, at, anchor));
    }
  }
  if (breaks.length === 0 && options.expectHash && !at.has(options.expectHash.toLowerCase())) {
    breaks.push({
      line: Math.max(1, lastLine),
      kind: "truncated",
      why: "the chain is intact but does not contain --expect-hash: lines were removed from the end (or the start)",
    });
  }
  const first = breaks.sort((a, b) => a.line - b.line)[0];
  return { ok: first === undefined, ...base, ...(first ? { first } : {}), problems: report.problems };
}

function editedWhy(key: Uint8Array | undefined): string {
  return key
    ? "its HMAC does not match its content: the line was edited, or the chain rebuilt without the key"
    : "its hash does not match its content: the line was edited (or the log is keyed with audit_hmac_key_file: " +
      "pass --hmac-key-file)";
}

function explainLink(
  line: number,
  prev: string,
  at: Map<string, number>,
  anchor?: { given: boolean },
): ChainBreak {
  const target = at.get(prev);
  if (target !== undefined && target > line) {
    return { line, kind: "reordered", why: `it continues line ${target}, which comes after it: lines were reordered` };
  }
  if (target !== undefined) {
    return {
      line,
      kind: "reordered",
      why: `it continues line ${target}, not the line before it: lines were reordered or duplicated`,
    };
  }
  if (anchor && !anchor.given) {
    return {
      line,
      kind: "deleted",
      why: "the first line does not start from the genesis hash: lines were removed from the start, or this is a " +
        "rotated file (pass --from-hash with the last hash of the file before it)",
    };
  }
  if (anchor) {
    return {
      line,
      kind: prev === GENESIS_HASH ? "reordered" : "deleted",
      why: prev === GENESIS_HASH
        ? "it starts a new chain instead of continuing --from-hash"
        : "it does not continue --from-hash: lines were removed from the start (or this is not the next file)",
    };
  }
  return {
    line,
    kind: "deleted",
    why: "the line it continues is not in the file: one or more lines before it were deleted",
  };
}

function hashOf(raw: string): { hash: string; prev: string } | undefined {
  if (raw.trim() === "") return undefined;
  try {
    const r = JSON.parse(raw) as { hash?: unknown; prev_hash?: unknown };
    return typeof r.hash === "string" && typeof r.prev_hash === "string"
      ? { hash: r.hash, prev: r.prev_hash }
      : undefined;
  } catch {
    return undefined;
  }
}
