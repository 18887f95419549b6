/**
 * @module Slow and stalled clients against a live server: slowloris on the headers (a header line now and then,
 * never the blank line) and on the body (a byte now and then), and idle keep-alive sockets after one request.
 */

export type SlowKind = "headers" | "body" | "idle";

export interface SlowSocket {
  kind: SlowKind;
  openedAt: number;
  /** When the server hung up (undefined: still open). */
  closedAt?: number;
  /** The first line the server sent (e.g. "HTTP/1.1 408 Request Timeout"), if any. */
  firstLine?: string;
  /** Still open when this side closed it (the server had not hung up). */
  closedByClient?: boolean;
  /** A connection the server refused or that failed before it was opened. */
  failed?: string;
}

export interface SlowClients {
  sockets: SlowSocket[];
  /** Sockets still open (the server has not hung up). */
  open(): number;
  /** Resolves once every socket is closed by the server, or after `ms` (whichever comes first). */
  settled(ms: number): Promise<void>;
  /** Close every socket from this side and stop dripping. */
  close(): void;
}

/**
 * Open `counts` slow sockets over TLS to 127.0.0.1:`port`, dripping every `dripMs`. Each socket's reader notes when
 * the server hangs up and what it said first; nothing here waits on a timer for its verdict.
 */
export async function openSlowClients(
  port: number,
  caPem: string,
  counts: Record<SlowKind, number>,
  o: { dripMs?: number; now?: () => number } = {},
): Promise<SlowClients> {
  const now = o.now ?? (() => performance.now());
  const enc = new TextEncoder();
  const sockets: SlowSocket[] = [];
  const live: { conn: Deno.TlsConn; s: SlowSocket }[] = [];
  const readers: Promise<void>[] = [];
  const head: Record<SlowKind, string> = {
    headers: "POST /exchange HTTP/1.1\r\nHost: soak\r\n",
    body: "POST /exchange HTTP/1.1\r\nHost: soak\r\nContent-Type: application/json\r\nContent-Length: 9999\r\n\r\n",
    idle: "GET /healthz HTTP/1.1\r\nHost: soak\r\n\r\n",
  };
  const drip: Record<SlowKind, string | undefined> = { headers: "X-Slow: 1\r\n", body: "a", idle: undefined };
  const open = async (kind: SlowKind) => {
    const s: SlowSocket = { kind, openedAt: now() };
    sockets.push(s);
    try {
      const conn = await Deno.connectTls({ hostname: "127.0.0.1", port, caCerts: [caPem] });
      await conn.handshake();
      live.push({ conn, s });
      await conn.write(enc.encode(head[kind]));
      readers.push(readUntilClosed(conn, s, now));
    } catch (err) {
      s.failed = err instanceof Error ? err.message : String(err);
      s.closedAt = now();
    }
  };
  const kinds = (Object.keys(counts) as SlowKind[]).flatMap((k) => Array.from({ length: counts[k] }, () => k));
  for (let i = 0; i < kinds.length; i += 50) await Promise.all(kinds.slice(i, i + 50).map(open));
  const timer = setInterval(() => {
    for (const { conn, s } of live) {
      const d = drip[s.kind];
      if (d && s.closedAt === undefined) conn.write(enc.encode(d)).catch(() => {});
    }
  }, o.dripMs ?? 1_000);
  let closed = false;
  return {
    sockets,
    open: () => sockets.filter((s) => s.closedAt === undefined && !s.closedByClient).length,
    async settled(ms) {
      let t: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([Promise.all(readers), new Promise((r) => (t = setTimeout(r, ms)))]);
      clearTimeout(t);
    },
    close() {
      if (closed) return;
      closed = true;
      clearInterval(timer);
      for (const { conn, s } of live) {
        if (s.closedAt === undefined) s.closedByClient = true;
        try {
          conn.close();
        } catch { /* the server closed it */ }
      }
    },
  };
}

async function readUntilClosed(conn: Deno.TlsConn, s: SlowSocket, now: () => number): Promise<void> {
  const buf = new Uint8Array(4096);
  let text = "";
  try {
    for (;;) {
      const n = await conn.read(buf);
      if (n === null) break;
      if (s.firstLine === undefined) {
        text += new TextDecoder().decode(buf.subarray(0, n));
        const i = text.indexOf("\r\n");
        if (i >= 0) s.firstLine = text.slice(0, i);
      }
    }
  } catch { /* reset, or closed from this side */ }
  if (!s.closedByClient) s.closedAt ??= now();
}
