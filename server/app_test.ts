/** @module The route table through app.request(): methods, unknown paths, request ids, /healthz, /ca, 500s. */

import { assert, assertEquals, assertMatch, assertNotEquals } from "../tests/helpers/assert.ts";
import { createTestApp } from "../tests/helpers/server.ts";
import { createApp } from "./app.ts";
import type { IdTokenVerifier } from "./oidc/types.ts";

const IDP = { issuer: "http://127.0.0.1:9", clientId: "talosctl" };

Deno.test("GET /healthz answers ok and every other method answers 405 JSON", async () => {
  await using t = await createTestApp({ idp: IDP, config: { insecure: true } });
  const ok = await t.app.request("/healthz");
  assertEquals([ok.status, await ok.text()], [200, "ok"]);
  assertEquals((await t.app.request("/healthz", { method: "HEAD" })).status, 200);
  for (
    const [path, method, allow] of [
      ["/healthz", "POST", "GET, HEAD"],
      ["/ca", "DELETE", "GET, HEAD"],
      ["/exchange", "GET", "POST"],
      ["/exchange", "PUT", "POST"],
    ]
  ) {
    const res = await t.app.request(path!, { method });
    assertEquals(res.status, 405, `${method} ${path}`);
    assertEquals(res.headers.get("allow"), allow);
    assertEquals(await res.json(), { error: "method not allowed", code: "ERR_METHOD_NOT_ALLOWED" });
  }
});

Deno.test("an unknown path answers 404 JSON", async () => {
  await using t = await createTestApp({ idp: IDP, config: { insecure: true } });
  for (const path of ["/", "/exchange/x", "/admin/../etc/passwd", "/CA"]) {
    const res = await t.app.request(path);
    assertEquals(res.status, 404, path);
    assertEquals(await res.json(), { error: "not found", code: "ERR_NOT_FOUND" });
  }
});

Deno.test("every response carries a fresh X-Request-Id, whatever the client sends", async () => {
  await using t = await createTestApp({ idp: IDP, config: { insecure: true } });
  const a = await t.app.request("/healthz", { headers: { "x-request-id": "forged-id" } });
  const b = await t.app.request("/nope");
  const idA = a.headers.get("x-request-id") ?? "", idB = b.headers.get("x-request-id") ?? "";
  assertMatch(idA, /^[0-9a-f-]{36}$/);
  assertMatch(idB, /^[0-9a-f-]{36}$/);
  assertNotEquals(idA, idB);
  assertNotEquals(idA, "forged-id");
});

Deno.test("GET /ca serves the self-signed CA as application/x-pem-file", async () => {
  await using t = await createTestApp({ idp: IDP });
  const res = await t.app.request("/ca");
  assertEquals(res.status, 200);
  assertEquals(res.headers.get("content-type"), "application/x-pem-file");
  const pem = await res.text();
  assertMatch(pem, /^-----BEGIN CERTIFICATE-----\n/);
  assertEquals(pem, t.deps.tls.caPem());
});

Deno.test("GET /ca answers 404 JSON outside self-signed mode", async () => {
  await using t = await createTestApp({ idp: IDP, config: { insecure: true } });
  const res = await t.app.request("/ca");
  assertEquals(res.status, 404);
  assertEquals(await res.json(), {
    error: "CA endpoint only available in self-signed TLS mode",
    code: "ERR_NOT_FOUND",
  });
});

Deno.test("an unexpected failure answers 500 with the request id and logs the details", async () => {
  await using t = await createTestApp({ idp: IDP, config: { insecure: true } });
  const broken: IdTokenVerifier = {
    verify: () => Promise.reject(new TypeError("secret internal detail")),
    ready: () => true,
    outage: () => undefined,
    warmUp: () => Promise.resolve(true),
  };
  const app = createApp({ ...t.deps, verifier: broken });
  const res = await app.request("/exchange", { method: "POST", body: JSON.stringify({ id_token: "a.b.c" }) });
  const id = res.headers.get("x-request-id") ?? "";
  assertEquals(res.status, 500);
  assertEquals(await res.json(), { error: "internal server error", code: "ERR_INTERNAL", request_id: id });
  assert(t.logs.some((l) => l.includes(id) && l.includes("secret internal detail")));
});

Deno.test("the client IP in the audit log is the peer unless it is a trusted proxy", async () => {
  await using t = await createTestApp({ idp: IDP, config: { insecure: true, trusted_proxies: ["10.0.0.0/8"] } });
  const send = (peer: string) =>
    t.app.request("/exchange", {
      method: "POST",
      headers: { "x-forwarded-for": "203.0.113.7" },
      body: '{"id_token":"x"}',
    }, { remoteAddr: { transport: "tcp", hostname: peer, port: 1 } });
  await send("192.0.2.1");
  await send("10.1.2.3");
  assertEquals(t.audit.map((e) => e.client_ip), ["192.0.2.1", "203.0.113.7"]);
});
