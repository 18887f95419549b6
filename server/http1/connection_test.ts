/** @module Tests for a connection's life on the listener: slow clients over plain HTTP (Deno.listen), a half-close. */

import { assert, assertEquals } from "../../tests/helpers/assert.ts";
import { firstLine, plainListener } from "../../tests/helpers/listener.ts";
import { nullLogger } from "../../shared/log.ts";
import { generateTlsCa, issueServerCert } from "../tls/self_signed.ts";
import { createTlsSource } from "../tls/source.ts";
import { startListener } from "./listener.ts";

async function pairFromNewCa() {
  const ca = await generateTlsCa(new Date());
  return { ca, leaf: await issueServerCert(ca, ["127.0.0.1"], new Date()) };
}

Deno.test("startListener() over plain HTTP (Deno.listen) cuts slow clients off too: 408 mid-head or mid-body, silent sockets closed", async () => {
  const listener = await plainListener(async (req) => new Response(`got ${(await req.arrayBuffer()).byteLength}`), {
    timeouts: { headersMs: 250, requestMs: 600, keepAliveMs: 300 },
  });
  const enc = new TextEncoder(), port = listener.addr.port;
  const timed = async (head: string | undefined) => {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    const started = Date.now();
    if (head !== undefined) await conn.write(enc.encode(head));
    const drip = head === undefined
      ? undefined
      : setInterval(() => void conn.write(enc.encode("a")).catch(() => {}), 50);
    const line = await firstLine(conn);
    clearInterval(drip);
    conn.close();
    return { line, ms: Date.now() - started };
  };
  try {
    const silent = await timed(undefined);
    assertEquals(silent.line, "closed");
    const head = await timed("GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ");
    assertEquals(head.line, "HTTP/1.1 408 Request Timeout");
    const body = await timed("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 9999\r\n\r\n");
    assertEquals(body.line, "HTTP/1.1 408 Request Timeout");
    for (const r of [silent, head, body]) assert(r.ms < 10_000, `held ${r.ms} ms`);
    const ok = await fetch(`http://127.0.0.1:${port}/`, { method: "POST", body: "hello" });
    assertEquals(await ok.text(), "got 5");
  } finally {
    await listener.shutdown();
  }
});

Deno.test("startListener() answers a client that closed its side after the request (half-close), over TLS and plain HTTP", async () => {
  const { ca, leaf } = await pairFromNewCa();
  const tlsSource = {
    mode: "provided" as const,
    current: () => leaf,
    caPem: () => undefined,
    refresh: () => Promise.resolve(false),
  };
  const plain = await createTlsSource({ mode: "insecure" }, "127.0.0.1", nullLogger, new Date());
  for (const tls of [tlsSource, plain]) {
    const listener = await startListener({
      hostname: "127.0.0.1",
      port: 0,
      tls,
      logger: nullLogger,
      handler: () => new Response("answered"),
    });
    try {
      const at = { hostname: "127.0.0.1", port: listener.addr.port };
      const conn = tls.current() ? await Deno.connectTls({ ...at, caCerts: [ca.certPem] }) : await Deno.connect(at);
      await conn.write(new TextEncoder().encode("GET / HTTP/1.0\r\n\r\n"));
      await conn.closeWrite();
      const text = await new Response(conn.readable).text();
      assertEquals([text.split("\r\n")[0], text.endsWith("answered")], ["HTTP/1.1 200 OK", true], tls.mode);
    } finally {
      await listener.shutdown();
    }
  }
});
