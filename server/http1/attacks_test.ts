/**
 * @module The listener's HTTP/1.1 parsing against malformed and hostile requests, over raw sockets: request smuggling
 * (CL.TE, TE.CL, duplicate or invalid lengths, other codings), obs-fold, bare CR and LF, oversized heads, invalid
 * request lines, Host; and the framing that must still work: chunked bodies, Expect: 100-continue, HTTP/1.0,
 * Connection: close, pipelining, HEAD, event streams.
 */

import { assert, assertEquals, assertMatch } from "../../tests/helpers/assert.ts";
import { plainListener } from "../../tests/helpers/listener.ts";
import { MAX_HEAD_BYTES, MAX_HEADERS } from "./head.ts";

const enc = new TextEncoder(), dec = new TextDecoder();

/** A listener whose handler echoes `METHOD target body` and records every request it is given. */
async function echo() {
  const seen: string[] = [];
  const listener = await plainListener(async (req) => {
    const u = new URL(req.url);
    const line = `${req.method} ${u.pathname}${u.search} ${req.body ? await req.text() : ""}`;
    seen.push(line);
    return new Response(line);
  });
  return Object.assign(listener, { seen, [Symbol.asyncDispose]: () => listener.shutdown() });
}

/** Send `raw` on a new connection, then everything the server sends until it closes (or 5 s pass). */
async function send(port: number, raw: string | Uint8Array, after?: (conn: Deno.Conn) => Promise<void>) {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  await conn.write(typeof raw === "string" ? enc.encode(raw) : raw);
  await after?.(conn);
  let text = "";
  const buf = new Uint8Array(65536);
  const timer = setTimeout(() => conn.close(), 5000);
  try {
    for (let n = await conn.read(buf).catch(() => null); n !== null; n = await conn.read(buf).catch(() => null)) {
      text += dec.decode(buf.subarray(0, n));
    }
  } finally {
    clearTimeout(timer);
    try {
      conn.close();
    } catch { /* closed on timeout */ }
  }
  return text;
}

const statusOf = (text: string) => text.split("\r\n")[0] ?? "";
const statuses = (text: string) => [...text.matchAll(/HTTP\/1\.1 (\d{3}) [A-Z]/g)].map((m) => Number(m[1]));

/** Each refused request gets `status`, a closed connection, and never reaches the handler. */
async function refused(cases: Record<string, string>, status: number) {
  await using l = await echo();
  for (const [what, raw] of Object.entries(cases)) {
    const text = await send(l.addr.port, raw);
    assertEquals(statuses(text), [status], `${what}: ${JSON.stringify(text)}`);
    assertMatch(text, /\r\nconnection: close\r\n/, what);
  }
  assertEquals(l.seen, [], "no refused request reached the handler");
}

Deno.test("smuggling: Content-Length with Transfer-Encoding, two lengths, invalid lengths and other codings are 400", async () => {
  await refused({
    "CL.TE": "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nG",
    "TE.CL":
      "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n8\r\nSMUGGLED\r\n0\r\n\r\n",
    "two equal CLs": "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc",
    "two CLs": "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 30\r\n\r\nabc",
    "CL list": "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3, 3\r\n\r\nabc",
    "signed CL": "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: +3\r\n\r\nabc",
    "hex CL": "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0x3\r\n\r\nabc",
    "empty CL": "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: \r\n\r\n",
    "TE list": "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
    "TE chunked twice":
      "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    "TE identity": "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: identity\r\n\r\n",
    "TE with junk": "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\n",
    "TE in HTTP/1.0": "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    "space before colon": "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n",
  }, 400);
});

Deno.test("malformed heads are 400: obs-fold, bare CR, bare LF, control bytes, bad request lines, Host", async () => {
  await refused({
    "obs-fold": "GET / HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n folded\r\n\r\n",
    "obs-fold tab": "GET / HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n\tfolded\r\n\r\n",
    "bare CR in a value": "GET / HTTP/1.1\r\nHost: x\r\nX-A: 1\rX-B: 2\r\n\r\n",
    "bare LF line end": "GET / HTTP/1.1\r\nHost: x\nX-A: 1\r\n\r\n",
    "NUL in a value": "GET / HTTP/1.1\r\nHost: x\r\nX-A: a\0b\r\n\r\n",
    "DEL in a value": "GET / HTTP/1.1\r\nHost: x\r\nX-A: a\x7fb\r\n\r\n",
    "invalid method": "G(T / HTTP/1.1\r\nHost: x\r\n\r\n",
    "absolute target": "GET http://evil/ HTTP/1.1\r\nHost: x\r\n\r\n",
    "asterisk target": "OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n",
    "target with a control byte": "GET /a\x01b HTTP/1.1\r\nHost: x\r\n\r\n",
    "two spaces": "GET  / HTTP/1.1\r\nHost: x\r\n\r\n",
    "lower-case version": "GET / http/1.1\r\nHost: x\r\n\r\n",
    "no version": "GET /\r\nHost: x\r\n\r\n",
    "header without colon": "GET / HTTP/1.1\r\nHost: x\r\nX-A\r\n\r\n",
    "invalid header name": "GET / HTTP/1.1\r\nHost: x\r\nX(A): 1\r\n\r\n",
    "no Host in HTTP/1.1": "GET / HTTP/1.1\r\nX-A: 1\r\n\r\n",
    "two Hosts": "GET / HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n",
  }, 400);
  await refused(
    { "HTTP/1.2": "GET / HTTP/1.2\r\nHost: x\r\n\r\n", "HTTP/2.0": "GET / HTTP/2.0\r\nHost: x\r\n\r\n" },
    505,
  );
  await refused({ "Expect other than 100-continue": "POST / HTTP/1.1\r\nHost: x\r\nExpect: x\r\n\r\n" }, 417);
});

Deno.test("oversized heads are 431: over 16 KiB of header bytes, over 100 header fields", async () => {
  await refused({
    "16 KiB header": `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(MAX_HEAD_BYTES)}\r\n\r\n`,
    "101 fields": `GET / HTTP/1.1\r\nHost: x\r\n${"X-A: 1\r\n".repeat(MAX_HEADERS)}\r\n`,
  }, 431);
});

Deno.test("a smuggled second request behind a refused one is never served", async () => {
  await using l = await echo();
  const text = await send(
    l.addr.port,
    "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 44\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" +
      "GET /admin HTTP/1.1\r\nHost: x\r\n\r\n",
  );
  assertEquals(statuses(text), [400]);
  assertEquals(l.seen, []);
});

Deno.test("chunked bodies are read (extensions and trailers skipped); a malformed chunk closes the connection", async () => {
  await using l = await echo();
  const ok = await send(
    l.addr.port,
    "POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n" +
      "3;ext=1\r\nabc\r\nA\r\n0123456789\r\n0\r\nX-Trailer: 1\r\n\r\n",
  );
  assertEquals(statusOf(ok), "HTTP/1.1 200 OK");
  assert(ok.endsWith("POST /c abc0123456789"), ok);
  for (const bad of ["zz\r\nabc\r\n0\r\n\r\n", "3\r\nabcd\r\n0\r\n\r\n", "3\nabc\r\n0\r\n\r\n", "123456789\r\n"]) {
    const text = await send(l.addr.port, `POST /bad HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n${bad}`);
    assert(!statuses(text).includes(200), `${JSON.stringify(bad)} was answered 200: ${text}`);
    assert(text === "" || /\r\nconnection: close\r\n/.test(text), text);
  }
  assertEquals(l.seen, ["POST /c abc0123456789"]);
});

Deno.test("Expect: 100-continue gets 100 Continue before the body is read, then the answer", async () => {
  await using l = await echo();
  const text = await send(
    l.addr.port,
    "POST /e HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n",
    async (conn) => {
      const buf = new Uint8Array(256);
      const n = await conn.read(buf);
      assertEquals(dec.decode(buf.subarray(0, n ?? 0)), "HTTP/1.1 100 Continue\r\n\r\n");
      await conn.write(enc.encode("hello"));
    },
  );
  assertEquals(statusOf(text), "HTTP/1.1 200 OK");
  assert(text.endsWith("POST /e hello"), text);
});

Deno.test("HTTP/1.0 closes unless asked to keep alive; Connection: close closes; pipelined requests answered in order", async () => {
  await using l = await echo();
  const once = await send(l.addr.port, "GET /a HTTP/1.0\r\n\r\nGET /b HTTP/1.0\r\n\r\n");
  assertEquals(statuses(once), [200]);
  assertMatch(once, /\r\nconnection: close\r\n/);
  const kept = await send(
    l.addr.port,
    "GET /a HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /b HTTP/1.0\r\n\r\nGET /c HTTP/1.0\r\n\r\n",
  );
  assertEquals(statuses(kept), [200, 200]);
  assertMatch(kept, /\r\nconnection: keep-alive\r\n/);
  const closed = await send(
    l.addr.port,
    "GET /a HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n",
  );
  assertEquals(statuses(closed), [200]);
  const pipelined = await send(
    l.addr.port,
    "GET /1 HTTP/1.1\r\nHost: x\r\n\r\nPOST /2 HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc" +
      "GET /3 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
  );
  assertEquals(statuses(pipelined), [200, 200, 200]);
  const bodies = pipelined.split(/HTTP\/1\.1 200 OK\r\n/).slice(1).map((a) => a.slice(a.indexOf("\r\n\r\n") + 4));
  assertEquals(bodies, ["GET /1 ", "POST /2 abc", "GET /3 "]);
  assertEquals(l.seen, ["GET /a ", "GET /a ", "GET /b ", "GET /a ", "GET /1 ", "POST /2 abc", "GET /3 "]);
});

Deno.test("HEAD gets the head alone; an event stream is sent chunked as it is produced", async () => {
  const listener = await plainListener((req) => {
    if (new URL(req.url).pathname === "/events") {
      const body = ReadableStream.from(["data: one\n\n", "data: two\n\n"].map((s) => enc.encode(s)));
      return new Response(body, { headers: { "content-type": "text/event-stream" } });
    }
    return new Response("twelve bytes", { headers: { "content-length": "12" } });
  });
  try {
    const head = await send(listener.addr.port, "HEAD / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    assertEquals(statusOf(head), "HTTP/1.1 200 OK");
    assertMatch(head, /\r\ncontent-length: 12\r\n/);
    assert(head.endsWith("\r\n\r\n"), `a body followed the head: ${JSON.stringify(head)}`);
    const events = await send(listener.addr.port, "GET /events HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    assertMatch(events, /\r\ntransfer-encoding: chunked\r\n/);
    assert(events.endsWith("\r\n\r\nb\r\ndata: one\n\n\r\nb\r\ndata: two\n\n\r\n0\r\n\r\n"), JSON.stringify(events));
  } finally {
    await listener.shutdown();
  }
});

Deno.test("a Host no URL can hold, or a method fetch refuses, is 400 (not a connection dropped without an answer)", async () => {
  await refused({
    "port over 65535": "GET / HTTP/1.1\r\nHost: a:99999\r\n\r\n",
    "two colons": "GET / HTTP/1.1\r\nHost: a:b:c\r\n\r\n",
    "open bracket": "GET / HTTP/1.1\r\nHost: [\r\n\r\n",
    "lower-case connect": "connect / HTTP/1.1\r\nHost: x\r\n\r\n",
    "lower-case get with a body": "get / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc",
  }, 400);
});

Deno.test("an HTTP/1.0 request with Expect: 100-continue gets no 100 (RFC 9110): its body is read as it comes", async () => {
  await using l = await echo();
  const text = await send(
    l.addr.port,
    "POST /e HTTP/1.0\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n",
    (conn) => {
      const late = new Promise((r) => setTimeout(r, 300)).then(() => conn.write(enc.encode("hello")));
      return late.then(() => {});
    },
  );
  assertEquals(statuses(text), [200], JSON.stringify(text));
  assert(text.endsWith("POST /e hello"), text);
});
