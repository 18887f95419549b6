/** @module Tests of readCapped() on real bodies: fetch responses from a loopback server and a node IncomingMessage. */

import http from "node:http";
import type { AddressInfo } from "node:net";
import { assert, assertEquals, assertRejects } from "../tests/helpers/assert.ts";
import { BodyTooLarge, readCapped } from "./read_capped.ts";

const KIB = new Uint8Array(1024).fill(0x78);
const tooLarge = (err: unknown) => err instanceof BodyTooLarge;

/** A node server: /exact sends 4 KiB, /endless streams KiB chunks until the client goes, /lies declares 10 MiB. */
async function startServer(): Promise<{ base: string; endlessClosed: Promise<void> } & AsyncDisposable> {
  let closed!: () => void;
  const endlessClosed = new Promise<void>((r) => closed = r);
  const server = http.createServer((req, res) => {
    if (req.url === "/exact") return void res.end(new Uint8Array(4096).fill(0x78));
    if (req.url === "/lies") {
      res.writeHead(200, { "content-length": String(10 * 1024 * 1024) });
      return void res.write(KIB); // and nothing more: only the declared length can tell it is too large
    }
    const timer = setInterval(() => res.write(KIB), 1);
    res.on("close", () => (clearInterval(timer), closed()));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}`,
    endlessClosed,
    [Symbol.asyncDispose]: () => {
      server.closeAllConnections();
      return new Promise<void>((r) => server.close(() => r()));
    },
  };
}

Deno.test("readCapped() returns a body of exactly the limit whole, and a null body as empty", async () => {
  await using s = await startServer();
  const res = await fetch(`${s.base}/exact`);
  const bytes = await readCapped(res.body, 4096, res.headers.get("content-length"));
  assertEquals(bytes, new Uint8Array(4096).fill(0x78));
  assertEquals(await readCapped(null, 0), new Uint8Array());
});

Deno.test("readCapped() refuses a body one byte over the limit, by its declared length or while reading", async () => {
  await using s = await startServer();
  const declared = await fetch(`${s.base}/exact`);
  const err = await assertRejects(() => readCapped(declared.body, 4095, declared.headers.get("content-length")));
  assert(err instanceof BodyTooLarge && err instanceof RangeError, String(err));
  assertEquals([err.limit, err.message], [4095, "the body is larger than 4095 bytes"]);
  const undeclared = await fetch(`${s.base}/exact`);
  await assertRejects(() => readCapped(undeclared.body, 4095), tooLarge);
});

Deno.test("readCapped() refuses a declared length over the limit without waiting for the body", async () => {
  await using s = await startServer();
  const res = await fetch(`${s.base}/lies`);
  await assertRejects(() => readCapped(res.body, 64 * 1024, res.headers.get("content-length")), tooLarge);
});

Deno.test("readCapped() stops an endless fetch body at the limit and cancels it, so the server sees the close", async () => {
  await using s = await startServer();
  const res = await fetch(`${s.base}/endless`);
  await assertRejects(() => readCapped(res.body, 64 * 1024), tooLarge);
  await s.endlessClosed;
});

Deno.test("readCapped() reads a node IncomingMessage, and closes the connection of an endless one at the limit", async () => {
  await using s = await startServer();
  const get = (path: string) =>
    new Promise<http.IncomingMessage>((resolve, reject) => http.get(`${s.base}${path}`, resolve).on("error", reject));
  assertEquals((await readCapped(await get("/exact"), 4096)).byteLength, 4096);
  const endless = await get("/endless");
  await assertRejects(() => readCapped(endless, 64 * 1024), tooLarge);
  assert(endless.socket.destroyed, "its connection is destroyed");
  await s.endlessClosed;
});
