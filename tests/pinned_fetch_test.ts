/** @module Tests for the client's pinnedFetch against real TLS servers: the pinned CA only, the host name checked. */

import https from "node:https";
import { assertEquals, assertMatch, assertRejects, assertThrows } from "./helpers/assert.ts";
import { isTalosOidcError } from "../shared/errors.ts";
import { generateTlsCa, issueServerCert } from "../server/tls/self_signed.ts";
import { pinnedFetch } from "../client/pinned_fetch.ts";
import { BodyTooLarge } from "../shared/read_capped.ts";

async function serve(sans: string[]) {
  const ca = await generateTlsCa(new Date());
  const leaf = await issueServerCert(ca, sans, new Date());
  const server = https.createServer({ cert: leaf.certPem, key: leaf.keyPem }, (req, res) => {
    if (req.url === "/endless") {
      const timer = setInterval(() => res.write(new Uint8Array(64 * 1024)), 1);
      return void res.on("close", () => clearInterval(timer));
    }
    let body = "";
    req.on("data", (c) => (body += c)).on("end", () => {
      res.writeHead(201, { "content-type": "text/plain", "x-seen": `${req.method} ${req.headers["x-test"]}` });
      res.end(`got ${body}`);
    });
  });
  server.on("tlsClientError", () => {});
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const url = new URL(`https://127.0.0.1:${(server.address() as { port: number }).port}/x`);
  return { caPem: ca.certPem, url, [Symbol.asyncDispose]: () => new Promise<void>((r) => server.close(() => r())) };
}

Deno.test("pinnedFetch() talks to a server of the pinned CA: method, headers and body both ways", async () => {
  await using s = await serve(["127.0.0.1"]);
  const res = await pinnedFetch(s.caPem)(s.url, { method: "POST", headers: { "x-test": "yes" }, body: "hello" });
  assertEquals([res.status, res.headers.get("x-seen"), await res.text()], [201, "POST yes", "got hello"]);
});

Deno.test("pinnedFetch() stops reading an endless answer at 1 MiB", async () => {
  await using s = await serve(["127.0.0.1"]);
  await assertRejects(() => pinnedFetch(s.caPem)(new URL("/endless", s.url)), (e) => e instanceof BodyTooLarge);
});

Deno.test("pinnedFetch() refuses a server of another CA, and one whose certificate names another host", async () => {
  await using s = await serve(["127.0.0.1"]);
  await using other = await serve(["127.0.0.1"]);
  await assertRejects(() => pinnedFetch(other.caPem)(s.url));
  await using misnamed = await serve(["127.0.0.2"]);
  const err = await assertRejects(() => pinnedFetch(misnamed.caPem)(misnamed.url));
  assertMatch(String(err), /altnames|not valid for/i);
});

Deno.test("pinnedFetch() refuses a CA file without a usable certificate, and plain http", async () => {
  assertThrows(() => pinnedFetch("not a pem"), (e) => isTalosOidcError(e, "ERR_USAGE"));
  const broken = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----";
  assertThrows(() => pinnedFetch(broken), (e) => isTalosOidcError(e, "ERR_USAGE"));
  await using s = await serve(["127.0.0.1"]);
  assertThrows(() => pinnedFetch(s.caPem)(new URL("http://127.0.0.1:1/")), (e) => e instanceof TypeError);
});
