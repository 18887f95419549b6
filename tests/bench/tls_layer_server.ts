/**
 * @module The HTTP and TLS layers alone, for the question where a TLS exchange's extra CPU goes: one
 * 1 KiB POST in, the same 2.6 KB JSON answer out, on node:http / node:https (the listener before server/http1/), on
 * Deno.listen / Deno.listenTls answering in one write (a bare HTTP/1.1 loop: Content-Length bodies, keep-alive), or
 * on the shipped listener (server/http1/: strict parsing, limits, timeouts) answering from a fast route.
 *
 *   deno run -A tests/bench/tls_layer_server.ts MODE CERT KEY
 *   MODE: node-http | node-https | deno-tcp | deno-tls | ours-http | ours-https
 *
 * It prints `listening on URL`.
 */

import { Buffer } from "node:buffer";
import http from "node:http";
import https from "node:https";
import { nullLogger } from "../../shared/log.ts";
import { startListener } from "../../server/http1/listener.ts";
import type { TlsSource } from "../../server/tls/source.ts";

const BODY = JSON.stringify({ ca: "c".repeat(700), cert: "x".repeat(900), key: "k".repeat(120), pad: "p".repeat(800) });

function nodeServer(secure: boolean, cert: string, key: string): void {
  const answer = (req: http.IncomingMessage, res: http.ServerResponse) =>
    void req.on("data", () => {}).on("end", () => {
      res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(BODY) });
      res.end(BODY);
    });
  const server = secure ? https.createServer({ cert, key, noDelay: true }, answer) : http.createServer(answer);
  server.listen(0, "127.0.0.1", () => {
    const { port } = server.address() as { port: number };
    console.log(`listening on ${secure ? "https" : "http"}://127.0.0.1:${port}`);
  });
}

/** Requests on one connection: each answered with one write once its Content-Length body is in. */
async function serveConn(conn: Deno.Conn, answer: Uint8Array): Promise<void> {
  const buf = new Uint8Array(1 << 16), dec = new TextDecoder();
  let have = 0;
  for (;;) {
    const n = await conn.read(buf.subarray(have)).catch(() => null);
    if (!n) break;
    have += n;
    for (;;) {
      const end = buf.subarray(0, have).findIndex((b, i) => b === 13 && buf[i + 1] === 10 && buf[i + 2] === 13);
      if (end < 0) break;
      const length = Number(/content-length:\s*(\d+)/i.exec(dec.decode(buf.subarray(0, end)))?.[1] ?? 0);
      const total = end + 4 + length;
      if (have < total) break;
      await conn.write(answer);
      buf.copyWithin(0, total, have);
      have -= total;
    }
  }
  try {
    conn.close();
  } catch { /* already gone */ }
}

/** The shipped listener, its fast route reading the body and answering BODY (no app, no crypto). */
async function oursServer(secure: boolean, cert: string, key: string): Promise<void> {
  const pair = secure ? { certPem: cert, keyPem: key } : undefined;
  const tls: TlsSource = {
    mode: secure ? "provided" : "insecure",
    current: () => pair,
    caPem: () => undefined,
    refresh: () => Promise.resolve(false),
  };
  const listener = await startListener({
    hostname: "127.0.0.1",
    port: 0,
    tls,
    logger: nullLogger,
    handler: () => new Response("not found", { status: 404 }),
    fast: {
      path: "/",
      async serve(req, _info, cap) {
        await req.readBody(cap);
        return { status: 200, headers: [["content-type", "application/json"]], body: BODY };
      },
    },
  });
  console.log(`listening on ${secure ? "https" : "http"}://127.0.0.1:${listener.addr.port}`);
}

if (import.meta.main) {
  const [mode, certFile, keyFile] = Deno.args;
  const cert = await Deno.readTextFile(certFile!), key = await Deno.readTextFile(keyFile!);
  if (mode === "node-http" || mode === "node-https") nodeServer(mode === "node-https", cert, key);
  else if (mode === "ours-http" || mode === "ours-https") await oursServer(mode === "ours-https", cert, key);
  else {
    const at = { hostname: "127.0.0.1", port: 0 };
    const listener = mode === "deno-tls" ? Deno.listenTls({ ...at, cert, key }) : Deno.listen(at);
    const enc = new TextEncoder();
    const body = enc.encode(BODY);
    const head = `HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n`;
    const answer = new Uint8Array([...enc.encode(head), ...body]);
    console.log(`listening on ${mode === "deno-tls" ? "https" : "http"}://127.0.0.1:${listener.addr.port}`);
    for await (const conn of listener) {
      if (mode === "deno-tcp") (conn as Deno.TcpConn).setNoDelay(true);
      void serveConn(conn, answer);
    }
  }
}
