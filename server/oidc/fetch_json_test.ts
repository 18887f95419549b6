/** @module Tests of the bounded JSON fetch used for discovery and JWKS, against a real loopback HTTP server. */

import { isTalosOidcError } from "../../shared/errors.ts";
import { assertEquals, assertMatch, assertRejects } from "../../tests/helpers/assert.ts";
import { fetchJson } from "./fetch_json.ts";
import { createJwksCache } from "./jwks_cache.ts";
import { jsonLogger } from "../../shared/log.ts";
import { createDevCa, signDevLeaf } from "../../tests/helpers/dev_ca.ts";

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

Deno.test("fetchJson() says why an issuer is unreachable: connection refused, DNS, TLS", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const closed = `http://127.0.0.1:${(listener.addr as Deno.NetAddr).port}/.well-known/openid-configuration`;
  listener.close();
  await assertRejects(() => fetchJson(closed, options), discoveryError(/the request failed: .*Connection refused/i));
  await assertRejects(() => fetchJson("http://idp.invalid/x", options), discoveryError(/request failed: dns error/));
  // A TLS server whose certificate no trusted CA signed: the reason names the certificate.
  const ca = await createDevCa("ecdsa");
  const leaf = await signDevLeaf(ca, { subject: [{ CN: ["idp"] }], eku: ["1.3.6.1.5.5.7.3.1"], ips: ["127.0.0.1"] });
  await using tls = Deno.serve(
    { hostname: "127.0.0.1", port: 0, cert: leaf.certPem, key: leaf.keyPem, onListen() {} },
    () => Response.json({}),
  );
  const url = `https://127.0.0.1:${tls.addr.port}/jwks`;
  await assertRejects(() => fetchJson(url, options), discoveryError(/request failed: .*(certificate|UnknownIssuer)/i));
});

Deno.test("the server's log line for an unreachable issuer names the cause, not only 'the request failed'", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const issuer = `http://127.0.0.1:${(listener.addr as Deno.NetAddr).port}`;
  listener.close();
  const lines: string[] = [];
  const logger = jsonLogger({ write: (l) => void lines.push(l) });
  const cache = createJwksCache({
    ...options,
    issuer,
    now: () => new Date(),
    logger,
    cooldownMs: 0,
    maxAgeMs: 60_000,
  });
  assertEquals(await cache.refreshNow(), false);
  const line = JSON.parse(lines.find((l) => l.includes("fetching the issuer JWKS failed")) ?? "{}");
  assertMatch(line.error, /the request failed: tcp connect error: Connection refused/);
  assertMatch(cache.outage()?.error ?? "", /Connection refused/); // what /readyz shows
});
