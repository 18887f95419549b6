/**
 * @module The listener's POST /exchange fast path (server/routes/exchange_fast.ts) answers exactly as the Hono app
 * does: the same request sent to `/exchange` (fast path) and `/exchange?via=app` (the app: same route, same
 * middleware) over real TLS, compared status, headers and body, for answers from every middleware and the handler.
 */

import { assert, assertEquals, assertMatch } from "./helpers/assert.ts";
import { startTestIdp } from "./helpers/idp.ts";
import { startTestServer, type TestServer } from "./helpers/server.ts";

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: Record<string, unknown>;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

async function post(server: TestServer, path: string, body: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${server.url}${path}`, {
    method: "POST",
    body,
    headers: { "content-type": "application/json", ...headers },
    client: server.client,
  });
  const out: Record<string, string> = {};
  res.headers.forEach((v, k) => void (out[k] = v));
  return { status: res.status, headers: out, body: await res.json() as Record<string, unknown> };
}

/** The parts that differ by design between two answers: the date, the request id, a fresh certificate. */
function comparable(a: Answer): Answer {
  const { date: _date, "x-request-id": id, ...headers } = a.headers;
  assertMatch(id ?? "", UUID, "every answer carries its request id");
  const body = { ...a.body };
  if (typeof body.request_id === "string") body.request_id = "(id)";
  if (a.status === 200) {
    for (const k of ["cert", "key", "ttl_seconds"]) body[k] = typeof body[k];
    delete headers["content-length"]; // the certificate's length may differ by a byte (serial, TTL digits)
  }
  return { status: a.status, headers, body };
}

/** Send the same request both ways; they must answer alike. Returns the fast path's answer. */
async function same(server: TestServer, body: string, headers?: Record<string, string>): Promise<Answer> {
  const fast = await post(server, "/exchange", body, headers);
  const app = await post(server, "/exchange?via=app", body, headers);
  assertEquals(comparable(fast), comparable(app));
  return fast;
}

Deno.test("fast /exchange answers as the app does: certificate, bad JSON, missing or mistyped id_token, bad token", async () => {
  await using idp = await startTestIdp();
  await using server = await startTestServer({ idp, config: { rate_limit_requests: 0 } });
  const token = await idp.mint({ email: "alice@example.com" });
  const ok = await same(server, JSON.stringify({ id_token: token }));
  assertEquals([ok.status, ok.headers["cache-control"], ok.headers["content-type"]], [
    200,
    "no-store",
    "application/json",
  ]);
  assert(typeof ok.body.cert === "string" && typeof ok.body.key === "string");
  assertEquals((await same(server, "not json")).body.code, "ERR_INVALID_REQUEST");
  assertEquals((await same(server, "{}")).body.error, "id_token is required");
  assertEquals((await same(server, '{"id_token": 5}')).body.error, "invalid JSON");
  assertEquals((await same(server, "")).status, 400);
  const bad = await same(server, JSON.stringify({ id_token: "a.b.c" }));
  assertEquals([bad.status, bad.body.code], [401, "ERR_INVALID_TOKEN"]);
  const csr = await same(server, JSON.stringify({ id_token: token, csr: "not a CSR" }));
  assertEquals(csr.status, 400);
  // Both paths count their requests under one route label.
  const metrics = await (await fetch(`${server.url}/metrics`, { client: server.client })).text();
  assertMatch(metrics, /talosctl_oidc_http_requests_total\{route="\/exchange",method="POST",status="200"\} 2\n/);
  assertMatch(metrics, /talosctl_oidc_http_requests_total\{route="\/exchange",method="POST",status="401"\} 2\n/);
  const issued = server.audit.filter((e) => e.type === "cert_issued");
  assertEquals(issued.length, 2, "one audit line per certificate, either path");
});

Deno.test("fast /exchange answers as the app does: per-IP limit (429, Retry-After) and IP allowlist (403)", async () => {
  await using idp = await startTestIdp();
  await using limited = await startTestServer({ idp, config: { rate_limit_requests: 2, rate_limit_window: "1h" } });
  const body = () => idp.mint().then((t) => JSON.stringify({ id_token: t }));
  assertEquals((await post(limited, "/exchange", await body())).status, 200);
  assertEquals((await post(limited, "/exchange?via=app", await body())).status, 200, "one limit for both paths");
  const fast = await post(limited, "/exchange", await body());
  const app = await post(limited, "/exchange?via=app", await body());
  assertEquals([fast.status, fast.body.code, app.status], [429, "ERR_RATE_LIMITED", 429]);
  // Retry-After counts down the window in whole seconds: the two may straddle a second.
  assert(Math.abs(Number(fast.headers["retry-after"]) - Number(app.headers["retry-after"])) <= 1);
  fast.headers["retry-after"] = app.headers["retry-after"]!;
  assertEquals(comparable(fast), comparable(app));

  await using walled = await startTestServer({ idp, config: { ip_allowlist: ["10.0.0.0/8"] } });
  const denied = await same(walled, await body());
  assertEquals([denied.status, denied.body.code], [403, "ERR_FORBIDDEN"]);
});

Deno.test("fast /exchange: a body over the exchange limit is 413 from either path, and GET is still 405", async () => {
  await using idp = await startTestIdp();
  await using server = await startTestServer({ idp });
  const big = JSON.stringify({ id_token: "x".repeat(70 * 1024) });
  const [fast, app] = [await post(server, "/exchange", big), await post(server, "/exchange?via=app", big)];
  assertEquals([fast.status, fast.body, fast.headers.connection], [413, app.body, "close"]);
  assertEquals(fast.body.code, "ERR_BODY_TOO_LARGE");
  const get = await fetch(`${server.url}/exchange`, { client: server.client });
  assertEquals([get.status, get.headers.get("allow"), (await get.json()).code], [
    405,
    "POST",
    "ERR_METHOD_NOT_ALLOWED",
  ]);
});
