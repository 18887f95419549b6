/** @module Tests for the listener: real TLS, live certificate swap, peer address, headers, slow clients. */

import { X509Certificate } from "node:crypto";
import { join } from "node:path";
import { assert, assertEquals, assertRejects } from "../../tests/helpers/assert.ts";
import { nullLogger } from "../../shared/log.ts";
import { startListener } from "./listener.ts";
import { firstLine, plainListener } from "../../tests/helpers/listener.ts";
import { certFacts, generateTlsCa, issueServerCert, type PemPair } from "../tls/self_signed.ts";
import { createTlsSource } from "../tls/source.ts";

async function pairFromNewCa(): Promise<{ ca: PemPair; leaf: PemPair }> {
  const ca = await generateTlsCa(new Date());
  return { ca, leaf: await issueServerCert(ca, ["127.0.0.1"], new Date()) };
}

async function get(url: string, caPem: string, init?: RequestInit): Promise<string> {
  using client = Deno.createHttpClient({ caCerts: [caPem] });
  const res = await fetch(url, { ...init, client });
  return await res.text();
}

Deno.test("startListener() serves the provided pair and swaps to new files on checkNow() without a restart", async () => {
  const dir = await Deno.makeTempDir({ prefix: "listener-test-" });
  try {
    const certPath = join(dir, "tls.crt"), keyPath = join(dir, "tls.key");
    const a = await pairFromNewCa(), b = await pairFromNewCa();
    await Deno.writeTextFile(certPath, a.leaf.certPem);
    await Deno.writeTextFile(keyPath, a.leaf.keyPem, { mode: 0o600 });
    const tls = await createTlsSource({ mode: "provided", certPath, keyPath }, "127.0.0.1", nullLogger, new Date());
    const gate = Promise.withResolvers<void>(), entered = Promise.withResolvers<void>();
    const listener = await startListener({
      hostname: "127.0.0.1",
      port: 0,
      tls,
      logger: nullLogger,
      handler: async (req) => {
        if (new URL(req.url).pathname === "/slow") entered.resolve(), await gate.promise;
        return new Response("ok");
      },
    });
    const url = `https://127.0.0.1:${listener.addr.port}`;
    assertEquals(await get(`${url}/`, a.ca.certPem), "ok");
    assertEquals(await listener.checkNow(), false);

    const slow = get(`${url}/slow`, a.ca.certPem);
    await entered.promise;
    await Deno.writeTextFile(certPath, b.leaf.certPem);
    await Deno.writeTextFile(keyPath, b.leaf.keyPem);
    assertEquals(await listener.checkNow(), true);
    gate.resolve();
    assertEquals(await slow, "ok", "the in-flight request finished on its connection");
    assertEquals(listener.reloads, 1);
    assertEquals(await get(`${url}/`, b.ca.certPem), "ok");
    await assertRejects(() => get(`${url}/`, a.ca.certPem));
    await listener.shutdown();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("startListener() keeps serving the loaded pair when the new files are broken", async () => {
  const dir = await Deno.makeTempDir({ prefix: "listener-test-" });
  try {
    const certPath = join(dir, "tls.crt"), keyPath = join(dir, "tls.key");
    const a = await pairFromNewCa(), b = await pairFromNewCa();
    await Deno.writeTextFile(certPath, a.leaf.certPem);
    await Deno.writeTextFile(keyPath, a.leaf.keyPem);
    const warnings: string[] = [];
    const logger = { ...nullLogger, warn: (m: string) => void warnings.push(m) };
    const tls = await createTlsSource({ mode: "provided", certPath, keyPath }, "127.0.0.1", logger, new Date());
    const listener = await startListener({
      hostname: "127.0.0.1",
      port: 0,
      tls,
      logger,
      handler: () => new Response("ok"),
    });
    await Deno.writeTextFile(keyPath, b.leaf.keyPem); // key of another certificate
    assertEquals(await listener.checkNow(), false);
    assert(warnings.some((w) => /does not match.*continuing with the loaded certificate/.test(w)), warnings.join());
    assertEquals(await get(`https://127.0.0.1:${listener.addr.port}/`, a.ca.certPem), "ok");
    await listener.shutdown();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("startListener() serves plain HTTP in insecure mode and gives the handler the peer address", async () => {
  const listener = await plainListener(async (req, info) =>
    new Response(`${req.method} ${await req.text()} from ${info.remoteAddr.hostname}`)
  );
  const res = await fetch(`${listener.url}/x`, { method: "POST", body: "hello" });
  assertEquals(await res.text(), "POST hello from 127.0.0.1");
  await listener.shutdown();
});

Deno.test("startListener() handler info: `completed` settles once the response is out, and is one promise", async () => {
  const seen: Deno.ServeHandlerInfo<Deno.NetAddr>[] = [];
  const listener = await plainListener((_req, info) => (seen.push(info), new Response("done")));
  const res = await fetch(`${listener.url}/`);
  assertEquals(await res.text(), "done");
  const info = seen[0]!;
  assertEquals([info.remoteAddr.transport, info.remoteAddr.hostname], ["tcp", "127.0.0.1"]);
  assert(info.completed === info.completed, "the same promise on every read");
  const settled = (p: Promise<void>) =>
    Promise.race([p.then(() => true), new Promise<false>((r) => setTimeout(() => r(false), 2000))]);
  assert(await settled(info.completed), "completed never settled");
  const late = await fetch(`${listener.url}/`); // asked only after that response finished: already settled
  await late.text();
  assert(await settled(seen[1]!.completed), "completed read after the response never settled");
  await listener.shutdown();
});

Deno.test("startListener() sends fixed bodies with a Content-Length and keeps Set-Cookie headers apart", async () => {
  const listener = await plainListener(() => {
    const h = new Headers({ "content-type": "application/json" });
    h.append("set-cookie", "a=1; Path=/");
    h.append("set-cookie", "b=2; Path=/");
    return new Response('{"ok":true}', { status: 201, headers: h });
  });
  const res = await fetch(`${listener.url}/`);
  assertEquals(res.status, 201);
  assertEquals(res.headers.get("content-length"), "11");
  assertEquals(res.headers.getSetCookie(), ["a=1; Path=/", "b=2; Path=/"]);
  assertEquals(await res.json(), { ok: true });
  await listener.shutdown();
});

Deno.test("startListener() renews a due self-signed leaf from the same CA and serves it on the live listener", async () => {
  const dir = await Deno.makeTempDir({ prefix: "listener-test-" });
  try {
    let now = new Date();
    const tls = await createTlsSource({ mode: "self-signed", san: [], dataDir: dir }, "127.0.0.1", nullLogger, now);
    const caPem = tls.caPem()!;
    const listener = await startListener({
      hostname: "127.0.0.1",
      port: 0,
      tls,
      logger: nullLogger,
      now: () => now,
      handler: () => new Response("ok"),
    });
    const first = await servedCert(listener.addr.port);
    assertEquals(await listener.checkNow(), false, "a fresh leaf is kept");
    now = new Date(certFacts(tls.current()!.certPem).notAfter.getTime() - 3_600_000); // one hour left
    assertEquals(await listener.checkNow(), true);
    const second = await servedCert(listener.addr.port);
    assert(second.serialNumber !== first.serialNumber, "a new leaf is served");
    assert(second.checkIssued(new X509Certificate(caPem)) && second.verify(new X509Certificate(caPem).publicKey));
    assertEquals(tls.caPem(), caPem, "the CA clients pinned is unchanged");
    assertEquals(await Deno.readTextFile(join(dir, "server.crt")), tls.current()!.certPem);
    await listener.shutdown();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** The certificate the server presents, from a fresh `openssl s_client` handshake (no session reuse). */
async function servedCert(port: number): Promise<X509Certificate> {
  const out = await new Deno.Command("openssl", {
    args: ["s_client", "-connect", `127.0.0.1:${port}`, "-servername", "localhost"],
    stdin: "null",
    stdout: "piped",
    stderr: "null",
  }).output();
  const pem = new TextDecoder().decode(out.stdout).match(
    /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/,
  );
  if (!pem) throw new Error("openssl s_client printed no certificate");
  return new X509Certificate(pem[0]);
}

Deno.test("startListener() cuts slow clients off at its own limits", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "listener-test-" });
  const { ca, leaf } = await pairFromNewCa();
  const certPath = join(dir, "tls.crt"), keyPath = join(dir, "tls.key");
  await Deno.writeTextFile(certPath, leaf.certPem);
  await Deno.writeTextFile(keyPath, leaf.keyPem, { mode: 0o600 });
  const tls = await createTlsSource({ mode: "provided", certPath, keyPath }, "127.0.0.1", nullLogger, new Date());
  const listener = await startListener({
    hostname: "127.0.0.1",
    port: 0,
    tls,
    logger: nullLogger,
    handler: async (req) => new Response(`got ${(await req.arrayBuffer()).byteLength}`),
    timeouts: { headersMs: 250, requestMs: 600, keepAliveMs: 300 },
  });
  const port = listener.addr.port, enc = new TextEncoder();
  const tlsConn = () => Deno.connectTls({ hostname: "127.0.0.1", port, caCerts: [ca.certPem] });
  /** Send `head`, then one more `drip` every 50 ms until the server answers or hangs up; how long that took. */
  const trickle = async (conn: Deno.Conn, head: string, drip: string) => {
    const started = Date.now();
    await conn.write(enc.encode(head));
    const timer = setInterval(() => void conn.write(enc.encode(drip)).catch(() => {}), 50);
    const line = await firstLine(conn);
    clearInterval(timer);
    conn.close();
    return { line, ms: Date.now() - started };
  };
  const BOUND_MS = 10_000; // far above the limits set here
  try {
    await t.step("a TCP connection that never starts the TLS handshake is closed", async () => {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      const started = Date.now();
      assertEquals(await firstLine(conn), "closed");
      conn.close();
      assert(Date.now() - started < BOUND_MS, `held ${Date.now() - started} ms`);
    });
    await t.step("headers trickled a line at a time get 408", async () => {
      const r = await trickle(await tlsConn(), "POST /exchange HTTP/1.1\r\nHost: x\r\n", "X-Slow: 1\r\n");
      assertEquals(r.line, "HTTP/1.1 408 Request Timeout");
      assert(r.ms < BOUND_MS, `held ${r.ms} ms`);
    });
    await t.step("a body trickled a byte at a time gets 408", async () => {
      const r = await trickle(
        await tlsConn(),
        "POST /exchange HTTP/1.1\r\nHost: x\r\nContent-Length: 9999\r\n\r\n",
        "a",
      );
      assertEquals(r.line, "HTTP/1.1 408 Request Timeout");
      assert(r.ms < BOUND_MS, `held ${r.ms} ms`);
    });
    await t.step("a prompt request on the same listener is answered", async () => {
      assertEquals(await get(`https://127.0.0.1:${port}/`, ca.certPem, { method: "POST", body: "hello" }), "got 5");
    });
  } finally {
    await listener.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("startListener() gives a fast route exactly POST <path> with a sized body; a query, chunked body or GET go to the handler", async () => {
  const seen: string[] = [];
  const listener = await plainListener(
    async (req) => (seen.push(`app ${req.method} ${await req.text()}`), new Response("app")),
    {
      fast: {
        path: "/exchange",
        async serve(req, info, cap) {
          const body = new TextDecoder().decode(await req.readBody(cap));
          seen.push(`fast ${info.remoteAddr.hostname} ${cap} ${body}`);
          return { status: 201, headers: [["content-type", "text/plain"]], body: "fast ✓" };
        },
      },
    },
  );
  const url = `http://127.0.0.1:${listener.addr.port}`;
  const sized = await fetch(`${url}/exchange`, { method: "POST", body: "a" });
  assertEquals([sized.status, sized.headers.get("content-length"), await sized.text()], [201, "8", "fast ✓"]);
  await (await fetch(`${url}/exchange?x=1`, { method: "POST", body: "b" })).body?.cancel();
  const chunked = ReadableStream.from([new TextEncoder().encode("c")]);
  await (await fetch(`${url}/exchange`, { method: "POST", body: chunked })).body?.cancel();
  await (await fetch(`${url}/exchange`)).body?.cancel();
  assertEquals(seen, ["fast 127.0.0.1 65536 a", "app POST b", "app POST c", "app GET "]);
  await listener.shutdown();
});
