/** @module The head of an audit chain: the last line's hash, what to ship off the host to anchor the chain. */

const HEX64 = /^[0-9a-f]{64}$/;

export interface ChainHead {
  /** `hash` of the last chained line. */
  hash: string;
  /** Chained lines in the file. */
  lines: number;
  /** `timestamp` of the last chained line. */
  timestamp?: string;
}

/** The chain head of an audit log's text, or undefined when no line carries a hash. Does not verify the chain. */
export function chainHead(text: string): ChainHead | undefined {
  let head: ChainHead | undefined;
  let lines = 0;
  for (const raw of text.split("\n")) {
    if (raw.trim() === "") continue;
    try {
      const rec = JSON.parse(raw) as { hash?: unknown; timestamp?: unknown };
      if (typeof rec.hash !== "string" || !HEX64.test(rec.hash)) continue;
      lines++;
      head = { hash: rec.hash, lines, ...(typeof rec.timestamp === "string" ? { timestamp: rec.timestamp } : {}) };
    } catch {
      continue;
    }
  }
  return head && { ...head, lines };
}
