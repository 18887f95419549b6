/**
 * @module A minimal HTTP/1.1-over-TLS server for the delayed-ACK question: Deno.serve; Deno.listenTls
 * answering each request in two writes (head, then body) or in one (Deno.TlsConn has no setNoDelay: Nagle stays on);
 * or node:tls answering in two writes with TCP_NODELAY on or off. Run as a child:
 *
 *   deno run -A tests/bench/tls_hold_server.ts MODE CERT KEY BODY_BYTES
 *   MODE: deno-serve | deno-two-writes | deno-one-write | node-two-writes-nodelay | node-two-writes-nagle
 *
 * It prints `listening on https://127.0.0.1:PORT`. Keep-alive; every request gets the same body of BODY_BYTES.
 */

import tls from "node:tls";

if (import.meta.main) {
  const [mode, certFile, keyFile, size] = Deno.args;
  const cert = await Deno.readTextFile(certFile!), key = await Deno.readTextFile(keyFile!);
  const body = new Uint8Array(Number(size)).fill(0x61);
  const head = new TextEncoder().encode(
    `HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n`,
  );
  if (mode === "deno-serve") {
    const s = Deno.serve({ hostname: "127.0.0.1", port: 0, cert, key, onListen() {} }, () => new Response(body));
    console.log(`listening on https://127.0.0.1:${s.addr.port}`);
  } else if (mode?.startsWith("node-")) {
    const noDelay = mode === "node-two-writes-nodelay";
    const server = tls.createServer({ cert, key }, (socket) => {
      socket.setNoDelay(noDelay);
      let pending = "";
      socket.on("data", (chunk: Uint8Array) => {
        pending += new TextDecoder().decode(chunk);
        while (pending.includes("\r\n\r\n")) {
          pending = pending.slice(pending.indexOf("\r\n\r\n") + 4);
          socket.write(head);
          socket.write(body);
        }
      });
      socket.on("error", () => {});
    });
    server.listen(0, "127.0.0.1", () => {
      console.log(`listening on https://127.0.0.1:${(server.address() as { port: number }).port}`);
    });
  } else {
    const listener = Deno.listenTls({ hostname: "127.0.0.1", port: 0, cert, key });
    console.log(`listening on https://127.0.0.1:${(listener.addr as Deno.NetAddr).port}`);
    for await (const conn of listener) void serve(conn, mode === "deno-one-write", head, body);
  }
}

/** Read requests (headers only: wrk sends GETs) and answer each, in one write or two. */
async function serve(conn: Deno.TlsConn, oneWrite: boolean, head: Uint8Array, body: Uint8Array) {
  try {
    await conn.handshake();
    const both = new Uint8Array(head.length + body.length);
    both.set(head);
    both.set(body, head.length);
    const buf = new Uint8Array(16384);
    let pending = "";
    for (;;) {
      const n = await conn.read(buf);
      if (n === null) break;
      pending += new TextDecoder().decode(buf.subarray(0, n));
      while (pending.includes("\r\n\r\n")) {
        pending = pending.slice(pending.indexOf("\r\n\r\n") + 4);
        if (oneWrite) await write(conn, both);
        else {
          await write(conn, head);
          await write(conn, body);
        }
      }
    }
  } catch (err) {
    if (Deno.env.get("HOLD_DEBUG")) console.error(err);
  } finally {
    try {
      conn.close();
    } catch { /* closed */ }
  }
}

async function write(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  for (let off = 0; off < bytes.length;) off += await conn.write(bytes.subarray(off));
}
