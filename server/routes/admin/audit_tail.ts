/** @module Read the last lines of the audit log file for the dashboard (bounded read from the end). */

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
  let f: Deno.FsFile;
  try {
    f = await Deno.open(path, { read: true });
  } catch {
    return undefined;
  }
  try {
    const size = (await f.stat()).size;
    const start = Math.max(0, size - maxBytes);
    await f.seek(start, Deno.SeekMode.Start);
    const buf = new Uint8Array(size - start);
    let off = 0;
    while (off < buf.length) {
      const n = await f.read(buf.subarray(off));
      if (n === null) break;
      off += n;
    }
    const text = new TextDecoder().decode(buf.subarray(0, off)).split("\n");
    if (start > 0) text.shift();
    return text.filter((l) => l.trim()).slice(-lines).reverse().map(rowOf);
  } catch {
    return undefined;
  } finally {
    f.close();
  }
}

function rowOf(line: string): AuditTailRow {
  try {
    const r = JSON.parse(line) as Record<string, unknown>;
    const s = (k: string) => (typeof r[k] === "string" ? (r[k] as string) : undefined);
    return {
      timestamp: s("timestamp") ?? "",
      type: s("type") ?? "?",
      subject: s("subject"),
      client_ip: s("client_ip"),
      roles: Array.isArray(r.roles) ? r.roles.map(String) : undefined,
      reason: s("reason") ?? s("error"),
      hash: s("hash"),
    };
  } catch {
    return { timestamp: "", type: "unreadable line" };
  }
}
