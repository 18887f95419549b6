/** @module Tests for the error contract: HTTP_STATUS alone decides a status; onError writes every error body. */

import { Hono } from "hono";
import { assert, assertEquals } from "../tests/helpers/assert.ts";
import { type ErrorCode, HTTP_STATUS, TalosOidcError } from "../shared/errors.ts";
import { jsonLogger } from "../shared/log.ts";
import { onError, requestId } from "./errors_http.ts";

function appThrowing(make: () => unknown) {
  const logs: string[] = [];
  const app = new Hono().onError(onError(jsonLogger({ write: (l) => void logs.push(l) })));
  app.use(requestId());
  app.get("/", () => {
    throw make();
  });
  return { app, logs };
}

Deno.test("onError() answers every coded error with the status HTTP_STATUS gives its code", async () => {
  const codes = Object.keys(HTTP_STATUS) as ErrorCode[];
  for (const code of [...codes, "ERR_AUDIT", "ERR_CA"] as const) {
    const { app } = appThrowing(() => new TalosOidcError(code, "what the client may read"));
    const res = await app.request("/");
    assertEquals(res.status, HTTP_STATUS[code] ?? 500, code);
    assertEquals((await res.json()).code, code);
  }
  assertEquals(HTTP_STATUS.ERR_DISCOVERY, 503);
});

Deno.test("onError() sends a 4xx message as is and a 5xx only as its code's public text, with the request id", async () => {
  const four = await appThrowing(() => new TalosOidcError("ERR_NO_ROLES", "no roles for you")).app.request("/");
  assertEquals(await four.json(), { error: "no roles for you", code: "ERR_NO_ROLES" });

  const { app, logs } = appThrowing(() => new TalosOidcError("ERR_CA", "reading /etc/secret/ca.key failed"));
  const five = await app.request("/");
  const id = five.headers.get("x-request-id");
  assertEquals(await five.json(), { error: "internal server error", code: "ERR_CA", request_id: id });
  assert(logs.some((l) => l.includes("/etc/secret/ca.key") && l.includes(id!)), "the details go to the log");

  const idp = await appThrowing(() => new TalosOidcError("ERR_DISCOVERY", "JWKS at https://idp/keys: timeout")).app
    .request("/");
  assertEquals((await idp.json()).error, "identity provider unavailable");
});

Deno.test("onError() turns headers the error carries into response headers", async () => {
  const cases: [() => TalosOidcError, string, string][] = [
    [
      () => new TalosOidcError("ERR_RATE_LIMITED", "rate limit exceeded", { fields: { retryAfterSeconds: 2.2 } }),
      "retry-after",
      "3",
    ],
    [
      () => new TalosOidcError("ERR_DISCOVERY", "down", { fields: { retryAfterSeconds: 30 } }),
      "retry-after",
      "30",
    ],
    [
      () => new TalosOidcError("ERR_UNAUTHORIZED", "missing", { fields: { challenge: 'Bearer realm="x"' } }),
      "www-authenticate",
      'Bearer realm="x"',
    ],
    [
      () => new TalosOidcError("ERR_METHOD_NOT_ALLOWED", "method not allowed", { fields: { allow: "GET, HEAD" } }),
      "allow",
      "GET, HEAD",
    ],
  ];
  for (const [make, header, value] of cases) {
    const res = await appThrowing(make).app.request("/");
    await res.body?.cancel();
    assertEquals(res.headers.get(header), value, header);
  }
});

Deno.test("onError() answers anything uncoded with 500 ERR_INTERNAL", async () => {
  const { app } = appThrowing(() => new RangeError("a bug"));
  const res = await app.request("/");
  assertEquals(res.status, 500);
  assertEquals((await res.json()).code, "ERR_INTERNAL");
});
