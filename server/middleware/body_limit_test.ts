/** @module Tests for the per-route body limits, through app.request(). */

import { Hono } from "hono";
import { assertEquals, assertThrows } from "../../tests/helpers/assert.ts";
import { jsonLogger } from "../../shared/log.ts";
import { onError } from "../errors_http.ts";
import { bodyLimit, bodyRefused } from "./body_limit.ts";

function setup() {
  const reads: number[] = [];
  const app = new Hono().onError(onError(jsonLogger({ write: () => {} })));
  app.use(bodyLimit({ limits: { "/upload": 10 } }));
  const read = async (c: { req: { raw: Request } }) => {
    reads.push((await c.req.raw.arrayBuffer()).byteLength);
    return new Response("read");
  };
  app.post("/upload", read);
  app.post("/other", read);
  app.get("/other", () => new Response("ok"));
  return { app, reads };
}

const stream = (bytes: number) => ReadableStream.from([new Uint8Array(bytes)]);

Deno.test("bodyLimit() refuses a declared length over the route's limit before the route reads it", async () => {
  const { app, reads } = setup();
  const res = await app.request("/upload", {
    method: "POST",
    body: "x".repeat(11),
    headers: { "content-length": "11" },
  });
  assertEquals([res.status, await res.json()], [413, {
    error: "request body too large or unreadable",
    code: "ERR_BODY_TOO_LARGE",
  }]);
  const fits = await app.request("/upload", {
    method: "POST",
    body: "x".repeat(10),
    headers: { "content-length": "10" },
  });
  assertEquals(await fits.text(), "read");
  assertEquals(reads, [10]);
});

Deno.test("bodyLimit() refuses any body on a path not in the table, but not a request without one", async () => {
  const { app, reads } = setup();
  assertEquals(
    (await app.request("/other", { method: "POST", body: "x", headers: { "content-length": "1" } })).status,
    413,
  );
  assertEquals((await app.request("/other", { method: "POST", body: stream(1) })).status, 413);
  assertEquals((await app.request("/other", { method: "POST", headers: { "content-length": "0" } })).status, 200);
  assertEquals((await app.request("/other")).status, 200);
  assertEquals(reads, [0]);
});

Deno.test("bodyLimit() cuts a body of undeclared length off at the limit", async () => {
  const { app, reads } = setup();
  const res = await app.request("/upload", { method: "POST", body: stream(11) });
  assertEquals([res.status, (await res.json()).code], [413, "ERR_BODY_TOO_LARGE"]); // the route's read fails with it
  assertEquals(reads, []);
  assertEquals(await (await app.request("/upload", { method: "POST", body: stream(10) })).text(), "read");
});

Deno.test("bodyRefused() reads the head as HTTP/1.1 framing", () => {
  assertEquals(bodyRefused(10, "10", false), false);
  assertEquals(bodyRefused(10, "11", false), true);
  assertEquals(bodyRefused(10, "1e1", false), true);
  assertEquals(bodyRefused(0, "0", false), false);
  assertEquals(bodyRefused(0, null, true), true);
  assertEquals(bodyRefused(10, null, true), false);
  assertThrows(() => bodyLimit({ limits: { "/x": -1 } }), (e) => e instanceof RangeError);
});
