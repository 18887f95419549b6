/** @module Read the last lines of the audit log file for the dashboard (bounded read from the end). */

import { readTailLines } from "../../tail_lines.ts";
import { displayText, MAX_SHOWN_IDENTITY } from "../../identity.ts";

/** One audit line as the dashboard shows it (never the whole raw record). */
export interface AuditTailRow {
  timestamp: string;
  type: string;
  subject?: string;
  client_ip?: string;
  roles?: string[];
  reason?: string;
  hash?: string;
}

/**
 * The last `lines` events of the audit file at `path`, newest first, reading at most `maxBytes`
 * from its end. Undefined when the audit log goes to stdout ("-") or cannot be read.
 */
export async function readAuditTail(
  path: string,
  lines = 50,
  maxBytes = 256 * 1024,
): Promise<AuditTailRow[] | undefined> {
  if (!path || path === "-") return undefined;
  try {
    const tail = await readTailLines(path, maxBytes);
    return tail?.lines.slice(-lines).reverse().map(rowOf);
  } catch {
    return undefined;
  }
}

function rowOf(line: string): AuditTailRow {
  try {
    const r = JSON.parse(line) as Record<string, unknown>;
    const s = (k: string) => (typeof r[k] === "string" ? (r[k] as string) : undefined);
    return {
      timestamp: s("timestamp") ?? "",
      type: s("type") ?? "?",
      // Lines written before identities were cleaned may still hold bidi or control characters.
      ...(s("subject") === undefined ? {} : { subject: displayText(s("subject")!, MAX_SHOWN_IDENTITY) }),
      client_ip: s("client_ip"),
      roles: Array.isArray(r.roles) ? r.roles.map(String) : undefined,
      reason: s("reason") ?? s("error"),
      hash: s("hash"),
    };
  } catch {
    return { timestamp: "", type: "unreadable line" };
  }
}
