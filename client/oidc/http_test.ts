/** @module Tests of the IdP HTTP helpers against a real loopback server: JSON parsing and the 1 MiB body cap. */

import { assertEquals, assertRejects } from "../../tests/helpers/assert.ts";
import { BodyTooLarge } from "../../shared/read_capped.ts";
import { requestJson } from "./http.ts";

Deno.test("requestJson() parses a JSON answer and stops reading an endless one at 1 MiB", async () => {
  const chunk = new Uint8Array(64 * 1024).fill(0x20);
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    (req) =>
      new URL(req.url).pathname === "/endless"
        ? new Response(new ReadableStream({ pull: (c) => c.enqueue(chunk) }))
        : Response.json({ issuer: "https://idp.example" }),
  );
  try {
    const base = `http://127.0.0.1:${server.addr.port}`;
    const ok = await requestJson(`${base}/ok`, { method: "GET" });
    assertEquals([ok.status, ok.json], [200, { issuer: "https://idp.example" }]);
    await assertRejects(() => requestJson(`${base}/endless`, { method: "GET" }), (e) => e instanceof BodyTooLarge);
  } finally {
    await server.shutdown();
  }
});
