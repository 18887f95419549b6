/** @module Tests for the listener's request bodies: streamed lazily to the handler, capped, never waited for. */

import { assert, assertEquals } from "../../tests/helpers/assert.ts";
import { firstLine, plainListener } from "../../tests/helpers/listener.ts";
import { jsonLogger } from "../../shared/log.ts";
import { MAX_REQUEST_BODY } from "./listener.ts";

Deno.test("startListener() answers 413 for a declared body over its cap before the handler runs", async () => {
  let called = false;
  const listener = await plainListener(() => (called = true, new Response("no")));
  const declared = await fetch(`${listener.url}/exchange`, {
    method: "POST",
    body: new Uint8Array(MAX_REQUEST_BODY + 1),
  });
  assertEquals([declared.status, (await declared.json()).code], [413, "ERR_BODY_TOO_LARGE"]);
  assertEquals(called, false);
  await listener.shutdown();
});

Deno.test("startListener() streams the body to the handler: read only when asked, and failing past the cap", async () => {
  const entered = Promise.withResolvers<void>();
  const reads: string[] = [];
  const listener = await plainListener(async (req) => {
    entered.resolve();
    const read = await req.arrayBuffer().then((b) => `${b.byteLength} bytes`, (e) => `failed: ${e}`);
    reads.push(read);
    return new Response(read, { status: read.startsWith("failed") ? 413 : 200 });
  });
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
  const enc = new TextEncoder();
  await conn.write(enc.encode("POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"));
  await entered.promise; // the head alone reached the handler: nothing was buffered first
  const chunk = `${(32 * 1024).toString(16)}\r\n${"a".repeat(32 * 1024)}\r\n`;
  for (let i = 0; i < 3; i++) await conn.write(enc.encode(chunk)); // 96 KiB, over the 64 KiB cap
  assertEquals(await firstLine(conn), "HTTP/1.1 413 Payload Too Large");
  conn.close();
  assertEquals(reads.length, 1);
  assert(reads[0]!.includes("BodyOverCap"), reads[0]);
  const ok = await fetch(`${listener.url}/x`, { method: "POST", body: "hello" });
  assertEquals(await ok.text(), "5 bytes");
  await listener.shutdown();
});

Deno.test("startListener() closes the connection after answering a request whose body the handler never read", async () => {
  const listener = await plainListener(() => new Response("refused", { status: 403 }));
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
  await conn.write(new TextEncoder().encode("POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 60000\r\n\r\nabc"));
  const buf = new Uint8Array(4096);
  let text = "";
  for (let n = await conn.read(buf); n !== null; n = await conn.read(buf).catch(() => null)) {
    text += new TextDecoder().decode(buf.subarray(0, n));
  }
  conn.close();
  assertEquals(text.split("\r\n")[0], "HTTP/1.1 403 Forbidden");
  assert(/\r\nconnection: close\r\n/i.test(text), text);
  await listener.shutdown();
});

Deno.test("startListener() drops a request whose client leaves mid-body, and keeps serving", async () => {
  const lines: string[] = [];
  const calls: string[] = [];
  const listener = await plainListener(
    async (req) => (calls.push(await req.text()), new Response("ok")),
    { logger: jsonLogger({ write: (l) => lines.push(l) }) },
  );
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
  await conn.write(new TextEncoder().encode('POST /exchange HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{"id_'));
  await new Promise((r) => setTimeout(r, 50));
  conn.close();
  await new Promise((r) => setTimeout(r, 50));
  const res = await fetch(`${listener.url}/x`, { method: "POST", body: "whole" });
  assertEquals(await res.text(), "ok");
  assertEquals(calls, ["whole"]); // the cut request never reached the handler
  assertEquals(lines.filter((l) => l.includes('"error"')), []); // and is not logged as a server failure
  await listener.shutdown();
});
