/**
 * @module Over real TLS, raw sockets: bodies are refused unread (per-route limits, allowlist first) and connections
 * over max_connections are closed, so unfinished uploads cannot make the server hold memory.
 */

import { assert, assertEquals } from "./helpers/assert.ts";
import { startTestIdp } from "./helpers/idp.ts";
import { startTestServer, type TestServer } from "./helpers/server.ts";

const enc = new TextEncoder(), dec = new TextDecoder();
const ADMIN_TOKEN = "an-admin-token-of-more-than-32-characters";

function connect(server: TestServer): Promise<Deno.TlsConn> {
  return Deno.connectTls({
    hostname: "127.0.0.1",
    port: server.server.listener.addr.port,
    caCerts: [server.tlsCaPem!],
  });
}

/** Everything the server sends until it closes the connection. */
async function readToEnd(conn: Deno.Conn): Promise<string> {
  const chunks: string[] = [];
  const buf = new Uint8Array(4096);
  for (;;) {
    const n = await conn.read(buf).catch(() => null);
    if (n === null) return chunks.join("");
    chunks.push(dec.decode(buf.subarray(0, n)));
  }
}

/**
 * Send a request head declaring `declared` body bytes, then only `sent` of them, and read the answer. The server must
 * answer and hang up without the rest: a server that waited for the body would answer nothing here.
 */
async function unfinishedPost(server: TestServer, path: string, declared: number, sent: number) {
  const conn = await connect(server);
  try {
    const head = `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\n` +
      `Origin: https://127.0.0.1\r\nContent-Length: ${declared}\r\n\r\n`;
    await conn.write(enc.encode(head));
    await conn.write(new Uint8Array(sent).fill(0x61));
    const answer = await readToEnd(conn);
    return { status: answer.split("\r\n")[0]!, body: answer.slice(answer.indexOf("\r\n\r\n") + 4) };
  } finally {
    conn.close();
  }
}

Deno.test("200 unfinished 1 MiB POSTs to an unknown path are refused unread and their connections closed", async () => {
  await using idp = await startTestIdp();
  await using server = await startTestServer({ idp });
  const answers = await Promise.all(
    Array.from({ length: 200 }, () => unfinishedPost(server, "/does-not-exist", 1024 * 1024, 16 * 1024)),
  );
  assertEquals(new Set(answers.map((a) => a.status)), new Set(["HTTP/1.1 413 Payload Too Large"]));
  assert(answers.every((a) => a.body.includes('"code":"ERR_BODY_TOO_LARGE"')));
});

Deno.test("a body on a route that takes none is refused unread, whatever its size", async () => {
  await using idp = await startTestIdp();
  await using server = await startTestServer({ idp });
  for (const path of ["/healthz", "/ca", "/readyz", "/does-not-exist"]) {
    assertEquals((await unfinishedPost(server, path, 100, 10)).status, "HTTP/1.1 413 Payload Too Large", path);
  }
});

Deno.test("a client outside ip_allowlist gets 403 before it sends the body of its /exchange", async () => {
  await using idp = await startTestIdp();
  await using server = await startTestServer({ idp, config: { ip_allowlist: ["203.0.113.0/24"] } });
  const r = await unfinishedPost(server, "/exchange", 60_000, 100);
  assertEquals(r.status, "HTTP/1.1 403 Forbidden");
  assertEquals(JSON.parse(r.body.trim().split("\r\n").find((l) => l.startsWith("{")) ?? r.body), {
    error: "IP not allowed",
    code: "ERR_FORBIDDEN",
  });
});

Deno.test("/exchange takes up to 64 KiB and the admin forms 8 KiB; more is refused before it is sent", async () => {
  await using idp = await startTestIdp();
  await using server = await startTestServer({ idp, config: { admin_token: ADMIN_TOKEN } });
  assertEquals(
    (await unfinishedPost(server, "/exchange", 64 * 1024 + 1, 100)).status,
    "HTTP/1.1 413 Payload Too Large",
  );
  assertEquals(
    (await unfinishedPost(server, "/admin/login", 8 * 1024 + 1, 100)).status,
    "HTTP/1.1 413 Payload Too Large",
  );
  const whole = await fetch(`${server.url}/exchange`, {
    method: "POST",
    body: JSON.stringify({ id_token: "x".repeat(64 * 1024 - 20) }),
    client: server.client,
  });
  assertEquals(whole.status, 401, "a 64 KiB document is read (and its token refused)");
  await whole.body?.cancel();
});

Deno.test("connections over max_connections are closed as they arrive; the admitted ones are served", async () => {
  await using idp = await startTestIdp();
  await using server = await startTestServer({ idp, config: { max_connections: 3 } });
  const held = await Promise.all([connect(server), connect(server), connect(server)]);
  try {
    await Promise.all(held.map((c) => c.handshake()));
    const extra = await connect(server);
    const refused = await extra.handshake().then(() => readToEnd(extra)).then((t) => t === "", () => true);
    extra.close();
    assert(refused, "the fourth connection was not closed");
    await held[0]!.write(enc.encode("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"));
    assertEquals((await readToEnd(held[0]!)).split("\r\n")[0], "HTTP/1.1 200 OK");
  } finally {
    for (const c of held) c.close();
  }
});
