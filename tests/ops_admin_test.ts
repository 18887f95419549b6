/** @module Over real TLS: admin API, dashboard sign-in guards, /readyz, /metrics, issuance history across restarts. */

import { fixedClock } from "../shared/clock.ts";
import { sleep } from "../shared/sleep.ts";
import { assert, assertEquals, assertMatch, assertStringIncludes } from "./helpers/assert.ts";
import { startTestIdp } from "./helpers/idp.ts";
import { startTestRedis } from "./helpers/redis.ts";
import { startTestServer, type TestServer } from "./helpers/server.ts";

const ADMIN = "ops-admin-token-0123456789abcdefghij";

function get(server: TestServer, path: string, init: RequestInit = {}) {
  return fetch(`${server.url}${path}`, { ...init, client: server.client });
}

Deno.test("admin API: 404 without admin_token; 401, 403, then stats and certs with it", async () => {
  await using idp = await startTestIdp();
  await using off = await startTestServer({ idp });
  for (const p of ["/admin/stats", "/admin/certs", "/admin/"]) {
    const res = await get(off, p, { headers: { authorization: `Bearer ${ADMIN}` } });
    assertEquals(res.status, 404, p);
    await res.body?.cancel();
  }
  await using server = await startTestServer({ idp, config: { admin_token: ADMIN } });
  assertEquals(
    (await server.exchange({ id_token: await idp.mint({ email: "alice@example.com", email_verified: true }) })).status,
    200,
  );
  assertEquals((await server.exchange({ id_token: "garbage" })).status, 401);
  const missing = await get(server, "/admin/stats");
  assertEquals([missing.status, (await missing.json()).error], [401, "missing Authorization header"]);
  const wrong = await get(server, "/admin/stats", { headers: { authorization: "Bearer nope" } });
  assertEquals([wrong.status, (await wrong.json()).error], [403, "invalid admin token"]);
  const auth = { headers: { authorization: `Bearer ${ADMIN}` } };
  const stats = await (await get(server, "/admin/stats", auth)).json();
  assertEquals([stats.total_certs_issued, stats.active_certs, stats.total_auth_failures, stats.unique_users], [
    1,
    1,
    1,
    1,
  ]);
  assertEquals(stats.certs_by_role, { "os:admin": 1 });
  assertEquals(stats.recent_failures.map((f: { reason: string }) => f.reason), ["wrong admin token", "malformed"]);
  assertMatch(stats.audit_head, /^[0-9a-f]{64}$/);
  const [cert] = await (await get(server, "/admin/certs", auth)).json();
  assertEquals([cert.subject, cert.email, cert.client_ip, cert.roles, cert.ttl], [
    "alice",
    "alice@example.com",
    "127.0.0.1",
    ["os:admin"],
    "5m0s",
  ]);
  assertMatch(cert.serial, /^[0-9a-f]+$/);
  assertMatch(cert.fingerprint, /^[0-9a-f]{64}$/);
});

Deno.test("dashboard over TLS: cross-site sign-in refused, lock-out after 5 wrong tokens, audited", async () => {
  await using idp = await startTestIdp();
  await using server = await startTestServer({ idp, config: { admin_token: ADMIN } });
  const loginPage = await get(server, "/admin/");
  assertEquals(loginPage.headers.get("content-security-policy")?.includes("frame-ancestors 'none'"), true);
  const csrf = /name="csrf" value="([^"]+)"/.exec(await loginPage.text())![1]!;
  const cookie = loginPage.headers.getSetCookie().map((c) => c.split(";")[0]).join("; ");
  assertStringIncludes(loginPage.headers.getSetCookie()[0]!, "Secure");
  const login = (token: string, origin = server.url) =>
    get(server, "/admin/login", {
      method: "POST",
      redirect: "manual",
      headers: { origin, cookie, "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ token, csrf }),
    });
  const cross = await login(ADMIN, "https://evil.example");
  assertEquals(cross.status, 403);
  assertStringIncludes(await cross.text(), "Cross-site request refused");
  for (let i = 0; i < 5; i++) assertEquals((await login("wrong")).status, 401, `try ${i}`);
  const locked = await login(ADMIN);
  assertEquals(locked.status, 429);
  await locked.body?.cancel();
  assertEquals(server.audit.filter((e) => e.type === "admin_login_failed").length, 5);
  assertEquals(server.audit.filter((e) => e.type === "admin_login").length, 0);
  const everything = [...server.logs, ...server.auditText].join("\n");
  assert(!everything.includes(ADMIN) && !everything.includes(csrf), "no admin token or CSRF token in logs or audit");
});

Deno.test("one lock-out for the admin API and the dashboard: a burst of wrong tokens locks the right one out", async () => {
  await using idp = await startTestIdp();
  // The lock-out's time stands still during the burst: on a loaded machine 300 requests can take longer than the
  // first lock (1 s), and the designed back-off would then rightly check one more guess (6 of 300, then a 2 s lock).
  const clock = fixedClock(new Date());
  await using server = await startTestServer({ idp, clock, config: { admin_token: ADMIN } });
  const bearer = async (token: string) => {
    const res = await get(server, "/admin/certs", { headers: { authorization: `Bearer ${token}` } });
    await res.body?.cancel();
    return { status: res.status, retryAfter: res.headers.get("retry-after") };
  };
  const burst = await Promise.all(Array.from({ length: 300 }, async () => (await bearer("wrong-guess")).status));
  assertEquals([burst.filter((s) => s === 403).length, burst.filter((s) => s === 429).length], [5, 295]);
  assertEquals(await bearer(ADMIN), { status: 429, retryAfter: "1" });
  const checked = () => server.audit.filter((e) => e.type === "admin_auth_failure").map((e) => e.error ?? "");
  assertEquals(checked().length, 5, "only checked guesses audited");
  clock.advance(999);
  assertEquals((await bearer("wrong-guess")).status, 429, "still locked 1 ms before the lock ends");
  clock.advance(1);
  assertEquals((await bearer("wrong-guess")).status, 403, "the lock over, one more guess is checked");
  assertEquals((await bearer(ADMIN)).status, 429, "and locks for twice as long");
  assertEquals(checked().slice(4), ["address locked out for 1 s", "address locked out for 2 s"]);

  // A dashboard sign-in locked out by wrong tokens locks the API too (one lock-out, not one per path).
  await using other = await startTestServer({ idp, config: { admin_token: ADMIN } });
  const page = await get(other, "/admin/");
  const csrf = /name="csrf" value="([^"]+)"/.exec(await page.text())![1]!;
  const cookie = page.headers.getSetCookie().map((c) => c.split(";")[0]).join("; ");
  const headers = { origin: other.url, cookie, "content-type": "application/x-www-form-urlencoded" };
  for (let i = 0; i < 5; i++) {
    const res = await get(other, "/admin/login", {
      method: "POST",
      headers,
      body: new URLSearchParams({ token: "wrong", csrf }),
    });
    assertEquals(res.status, 401);
    await res.body?.cancel();
  }
  const api = await get(other, "/admin/certs", { headers: { authorization: `Bearer ${ADMIN}` } });
  assertEquals(api.status, 429);
  await api.body?.cancel();
});

Deno.test("the lock-out checks exactly 5 of a burst across worker threads, and one at its end across replicas on Redis", async () => {
  await using idp = await startTestIdp();
  await using redis = await startTestRedis();
  const clock = fixedClock(new Date()); // the owner thread's store decides on this clock
  const config = { admin_token: ADMIN, workers: 2 };
  await using threads = await startTestServer({ idp, clock, config });
  await using a = await startTestServer({ idp, clock, config: { ...config, state_store: redis.url, replica_id: "a" } });
  await using b = await startTestServer({ idp, clock, config: { ...config, state_store: redis.url, replica_id: "b" } });
  // Each guess on a connection of its own, so the kernel spreads them over the threads (and here over two replicas).
  const guess = async (server: TestServer) => {
    using client = Deno.createHttpClient({ caCerts: [server.tlsCaPem!], http2: false });
    const res = await fetch(`${server.url}/admin/certs`, { headers: { authorization: "Bearer wrong" }, client });
    await res.body?.cancel();
    return { status: res.status, retryAfter: Number(res.headers.get("retry-after")) };
  };
  const count = (guesses: { status: number }[]) =>
    [403, 429].map((code) => guesses.filter((g) => g.status === code).length);
  assertEquals(count(await Promise.all(Array.from({ length: 60 }, () => guess(threads)))), [5, 55], "workers: 2");

  // On Redis the lock is timed on the store's clock, which no fixed clock holds still, and a burst of 60 can outlast
  // the first lock (1 s) on a loaded machine. So the 5 free guesses and a 6th go one at a time, each lock waited out
  // by its Retry-After, and the burst starts as the 2 s lock ends: exactly one of it is checked, and its 4 s lock
  // refuses the rest unchecked.
  const replica = (i: number) => (i % 2 ? b : a);
  const one = [];
  for (let i = 0; i < 5; i++) one.push((await guess(replica(i))).status);
  assertEquals(one, [403, 403, 403, 403, 403]);
  const waitOut = async (lockS: number) => {
    const locked = await guess(a);
    assertEquals([locked.status, locked.retryAfter], [429, lockS], "locked, and the guess not counted");
    await sleep(lockS * 1000);
  };
  await waitOut(1);
  assertEquals((await guess(b)).status, 403, "the 6th guess, once the lock is over");
  await waitOut(2);
  const shared = await Promise.all(Array.from({ length: 60 }, (_, i) => guess(replica(i))));
  assertEquals(count(shared), [1, 59], "two replicas on one redis-server");
  assertEquals((await guess(a)).retryAfter, 4, "the one checked brought the next lock");
});

Deno.test("readyz is 503 until the issuer's keys are loaded, healthz stays 200", async () => {
  await using idp = await startTestIdp();
  await using down = await startTestServer({ idp: { issuer: "http://127.0.0.1:9", clientId: "talosctl" } });
  const notReady = await get(down, "/readyz");
  const body = await notReady.json();
  assertEquals([notReady.status, body.status, body.checks], [503, "not ready", { ca: true, oidc: false, audit: true }]);
  assertEquals(await (await get(down, "/healthz")).text(), "ok");
  await using up = await startTestServer({ idp });
  assert(await up.server.deps.verifier.warmUp());
  const ready = await get(up, "/readyz");
  assertEquals([ready.status, (await ready.json()).status], [200, "ready"]);
});

Deno.test("metrics over TLS: names, counts by route, certs by role, failures by reason, optional bearer", async () => {
  await using idp = await startTestIdp();
  await using server = await startTestServer({ idp, config: { metrics_token: "scrape" } });
  await server.exchange({ id_token: await idp.mint() });
  await server.exchange({ id_token: await idp.mint({ exp: Math.floor(Date.now() / 1000) - 3600 }) });
  const denied = await get(server, "/metrics");
  assertEquals(denied.status, 401);
  await denied.body?.cancel();
  const res = await get(server, "/metrics", { headers: { authorization: "Bearer scrape" } });
  assertStringIncludes(res.headers.get("content-type")!, "version=0.0.4");
  const text = await res.text();
  for (
    const name of ["http_requests_total", "exchange_duration_seconds", "certs_issued_total", "jwks_refreshes_total"]
  ) {
    assertStringIncludes(text, `# TYPE talosctl_oidc_${name} `);
  }
  assertStringIncludes(text, 'talosctl_oidc_http_requests_total{route="/exchange",method="POST",status="200"} 1');
  assertStringIncludes(text, 'talosctl_oidc_http_requests_total{route="/exchange",method="POST",status="401"} 1');
  assertStringIncludes(text, 'talosctl_oidc_certs_issued_total{role="os:admin"} 1');
  assertStringIncludes(text, 'talosctl_oidc_token_validation_failures_total{reason="expired"} 1');
  assertStringIncludes(text, "talosctl_oidc_exchange_duration_seconds_count 2");
  assertMatch(text, /talosctl_oidc_jwks_refreshes_total\{outcome="success"\} [1-9]/);
});

Deno.test("issuance history in data_dir/certs.jsonl (0600) survives a restart", async () => {
  await using idp = await startTestIdp();
  const dir = await Deno.makeTempDir();
  try {
    const config = { admin_token: ADMIN, data_dir: dir };
    {
      await using first = await startTestServer({ idp, config });
      assertEquals((await first.exchange({ id_token: await idp.mint({ sub: "bob" }) })).status, 200);
    }
    assertEquals((await Deno.stat(`${dir}/certs.jsonl`)).mode! & 0o777, 0o600);
    await using second = await startTestServer({ idp, config });
    const auth = { headers: { authorization: `Bearer ${ADMIN}` } };
    const all = await (await get(second, "/admin/certs?all=1", auth)).json();
    assertEquals(all.map((c: { subject: string }) => c.subject), ["bob"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
