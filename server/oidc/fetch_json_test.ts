/** @module Tests of the bounded JSON fetch used for discovery and JWKS, against a real loopback HTTP server. */

import { isTalosOidcError } from "../../shared/errors.ts";
import { assertEquals, assertMatch, assertRejects } from "../../tests/helpers/assert.ts";
import { fetchJson } from "./fetch_json.ts";

async function withServer(fn: (base: string) => Promise<void>): Promise<void> {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    const path = new URL(req.url).pathname;
    if (path === "/ok") return Response.json({ keys: [] });
    if (path === "/big") return new Response(`{"pad":"${"x".repeat(4096)}"}`);
    if (path === "/stream") {
      // No content-length: the cap must hold while reading.
      const chunk = new TextEncoder().encode("x".repeat(1024));
      let sent = 0;
      const body = new ReadableStream<Uint8Array>({
        pull(c) {
          if (sent++ < 64) c.enqueue(chunk);
          else c.close();
        },
      });
      return new Response(body);
    }
    if (path === "/redirect") return Response.redirect(new URL("/ok", req.url), 302);
    if (path === "/error") return new Response("boom", { status: 500 });
    if (path === "/html") return new Response("<html>");
    if (path === "/hang") {
      await new Promise((resolve) => req.signal.addEventListener("abort", resolve));
      return new Response("late");
    }
    return new Response("not found", { status: 404 });
  });
  try {
    await fn(`http://127.0.0.1:${server.addr.port}`);
  } finally {
    await server.shutdown();
  }
}

const options = { fetch: globalThis.fetch, timeoutMs: 300, maxBytes: 2048 };
const discoveryError = (re: RegExp) => (err: unknown) =>
  isTalosOidcError(err, "ERR_DISCOVERY") && re.test((err as Error).message);

Deno.test("fetchJson() returns the parsed body of a 200 answer", async () => {
  await withServer(async (base) => assertEquals(await fetchJson(`${base}/ok`, options), { keys: [] }));
});

Deno.test("fetchJson() refuses redirects, error statuses, non-JSON and bodies over the cap", async () => {
  await withServer(async (base) => {
    await assertRejects(() => fetchJson(`${base}/redirect`, options), discoveryError(/HTTP 302/));
    await assertRejects(() => fetchJson(`${base}/error`, options), discoveryError(/HTTP 500/));
    await assertRejects(() => fetchJson(`${base}/html`, options), discoveryError(/not UTF-8 JSON/));
    await assertRejects(() => fetchJson(`${base}/big`, options), discoveryError(/larger than 2048 bytes/));
    await assertRejects(() => fetchJson(`${base}/stream`, options), discoveryError(/larger than 2048 bytes/));
  });
});

Deno.test("fetchJson() gives up on a server that never answers", async () => {
  await withServer(async (base) => {
    const err = await assertRejects(() => fetchJson(`${base}/hang`, options), discoveryError(/within 300 ms/));
    assertMatch((err as Error).message, /\/hang/);
  });
});
