/** @module Tests for the admin dashboard through app.request(): sign-in, lock-out, CSRF, sessions, headers. */

import { Hono } from "hono";
import { assert, assertEquals, assertMatch, assertStringIncludes } from "../../tests/helpers/assert.ts";
import { Secret } from "../../shared/secret.ts";
import { createLockout } from "../admin/lockout.ts";
import { createSessionStore } from "../admin/sessions.ts";
import { createTracker } from "../admin/tracker.ts";
import type { AuditEvent } from "../audit/types.ts";
import { clientIp } from "../middleware/client_ip.ts";
import { ADMIN_CSP, adminDashboardRoutes, CSRF_COOKIE, SESSION_COOKIE } from "./admin_dashboard.tsx";

const ORIGIN = "https://talos-oidc.example.com";
const TOKEN = "correct-horse-battery-staple";

function setup() {
  let t = Date.parse("2026-03-01T10:00:00Z");
  const events: AuditEvent[] = [];
  const tracker = createTracker({ now: () => new Date(t) });
  const app = new Hono();
  app.use(clientIp({ peer: (c) => c.req.header("x-test-peer") ?? "198.51.100.7" }));
  app.route(
    "/",
    adminDashboardRoutes({
      token: new Secret(TOKEN),
      tracker,
      audit: { write: (e) => void events.push(e), committed: () => Promise.resolve() },
      secureCookie: true,
      lockout: createLockout({ now: () => t }),
      sessions: createSessionStore({ now: () => t }),
    }),
  );
  const req = (path: string, init: RequestInit = {}) => app.request(`${ORIGIN}${path}`, init);
  /** GET the login page and return the CSRF pair the browser would hold. */
  const csrfPair = async (peer?: string) => {
    const res = await req("/admin/", { headers: peer ? { "x-test-peer": peer } : {} });
    const csrf = /name="csrf" value="([^"]+)"/.exec(await res.text())![1]!;
    return { csrf, cookie: `${CSRF_COOKIE}=${csrf}` };
  };
  const login = async (
    token: string,
    o: { origin?: string | null; peer?: string; csrf?: string; site?: string } = {},
  ) => {
    const pair = await csrfPair(o.peer);
    const headers: Record<string, string> = {
      cookie: pair.cookie,
      "content-type": "application/x-www-form-urlencoded",
    };
    if (o.origin !== null) headers.origin = o.origin ?? ORIGIN;
    if (o.peer) headers["x-test-peer"] = o.peer;
    if (o.site) headers["sec-fetch-site"] = o.site;
    const body = new URLSearchParams({ token, csrf: o.csrf ?? pair.csrf });
    return req("/admin/login", { method: "POST", headers, body });
  };
  return { req, login, events, tracker, now: () => t, advance: (ms: number) => void (t += ms) };
}

function sessionCookie(res: Response): string {
  const set = res.headers.getSetCookie().find((c) => c.startsWith(`${SESSION_COOKIE}=`))!;
  return set.split(";")[0]!;
}

Deno.test("dashboard shows the login form with strict security headers", async () => {
  const { req } = setup();
  const res = await req("/admin/");
  assertEquals(res.status, 200);
  assertEquals(res.headers.get("content-security-policy"), ADMIN_CSP);
  assertEquals(res.headers.get("x-content-type-options"), "nosniff");
  assertEquals(res.headers.get("referrer-policy"), "no-referrer");
  const html = await res.text();
  assertStringIncludes(html, "Admin Login");
  assert(!/<script|style=/i.test(html), "no inline script or style");
  const css = await req("/admin/static/admin.css");
  assertStringIncludes(css.headers.get("content-type")!, "text/css");
});

Deno.test("dashboard signs in with the right token: 303, session cookie flags, audit admin_login", async () => {
  const { login, req, events } = setup();
  const res = await login(TOKEN);
  assertEquals(res.status, 303);
  assertEquals(res.headers.get("location"), "/admin/");
  const set = res.headers.getSetCookie().find((c) => c.startsWith(SESSION_COOKIE))!;
  assertMatch(set, /HttpOnly/);
  assertMatch(set, /Secure/);
  assertMatch(set, /SameSite=Strict/);
  assertMatch(set, /Max-Age=86400/);
  assertMatch(set, /Path=\/admin/);
  assertEquals(events.map((e) => e.type), ["admin_login"]);
  const page = await req("/admin/", { headers: { cookie: sessionCookie(res) } });
  assertStringIncludes(await page.text(), "Talosctl OIDC Admin Dashboard");
  for (const p of ["/admin/active", "/admin/failures", "/admin/audit"]) {
    assertEquals((await req(p, { headers: { cookie: sessionCookie(res) } })).status, 200, p);
    assertEquals((await req(p)).status, 303, `${p} without a session`);
  }
});

Deno.test("dashboard refuses a wrong token with 401 and audits admin_login_failed", async () => {
  const { login, events } = setup();
  const res = await login("wrong");
  assertEquals(res.status, 401);
  assertStringIncludes(await res.text(), "Invalid admin token");
  assertEquals(events, [{
    type: "admin_login_failed",
    subject: "admin-token",
    client_ip: "198.51.100.7",
    reason: "wrong admin token",
  }]);
});

Deno.test("dashboard locks a client IP out after 5 failures, for longer with each further one", async () => {
  const { login, advance } = setup();
  for (let i = 0; i < 5; i++) assertEquals((await login("wrong")).status, 401);
  const locked = await login(TOKEN);
  assertEquals(locked.status, 429);
  assertEquals(locked.headers.get("retry-after"), "1");
  assertStringIncludes(await locked.text(), "Too many failed attempts. Please try again in 1 second.");
  assertEquals((await login(TOKEN, { peer: "203.0.113.50" })).status, 303, "another client is not locked");
  for (const seconds of [2, 4, 8, 16, 32, 64, 128]) {
    advance(1000 * seconds / 2);
    assertEquals((await login("wrong")).status, 401);
    assertEquals((await login(TOKEN)).headers.get("retry-after"), String(seconds));
  }
  assertStringIncludes(await (await login(TOKEN)).text(), "Please try again in 3 minutes.");
  advance(128_000);
  assertEquals((await login(TOKEN)).status, 303, "the lock ends; the right token then signs in");
});

Deno.test("dashboard refuses cross-site and token-less POSTs (CSRF)", async () => {
  const { login, events } = setup();
  assertEquals((await login(TOKEN, { origin: "https://evil.example" })).status, 403);
  assertEquals((await login(TOKEN, { origin: null })).status, 403);
  assertEquals((await login(TOKEN, { origin: "null", site: "cross-site" })).status, 403);
  const res = await login(TOKEN, { csrf: "forged" });
  assertEquals(res.status, 403);
  assertStringIncludes(await res.text(), "CSRF token mismatch");
  assertEquals(events.length, 0);
});

Deno.test("dashboard accepts Origin null (no-referrer policy) only with Sec-Fetch-Site same-origin", async () => {
  const { login } = setup();
  assertEquals((await login(TOKEN, { origin: "null", site: "same-origin" })).status, 303);
});

Deno.test("dashboard logout needs the session's CSRF token and ends the session", async () => {
  const { login, req } = setup();
  const cookie = sessionCookie(await login(TOKEN));
  const page = await (await req("/admin/", { headers: { cookie } })).text();
  const csrf = /action="\/admin\/logout"><input type="hidden" name="csrf" value="([^"]+)"/.exec(page)![1]!;
  const post = (token: string) =>
    req("/admin/logout", {
      method: "POST",
      headers: { cookie, origin: ORIGIN, "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ csrf: token }),
    });
  assertEquals((await post("nope")).status, 403);
  const out = await post(csrf);
  assertEquals(out.status, 303);
  assertMatch(out.headers.getSetCookie().join("\n"), new RegExp(`${SESSION_COOKIE}=;`));
  assertStringIncludes(await (await req("/admin/", { headers: { cookie } })).text(), "Admin Login");
});

Deno.test("dashboard sessions end after 24 hours", async () => {
  const { login, req, advance } = setup();
  const cookie = sessionCookie(await login(TOKEN));
  advance(24 * 3_600_000 - 1);
  assertStringIncludes(await (await req("/admin/", { headers: { cookie } })).text(), "Admin Dashboard");
  advance(1);
  assertStringIncludes(await (await req("/admin/", { headers: { cookie } })).text(), "Admin Login");
});

Deno.test("dashboard escapes HTML from claims, reasons and addresses (XSS) and serves no inline script", async () => {
  const { login, req, tracker, now } = setup();
  const evil = `<img src=x onerror=alert(1)>"'&`;
  const at = new Date(now());
  tracker.observe({
    type: "cert_issued",
    timestamp: at.toISOString(),
    subject: evil,
    email: `${evil}@example.com`,
    client_ip: evil,
    roles: [evil],
    cert_expiry: new Date(at.getTime() + 300_000).toISOString(),
    cert_ttl: "5m0s",
  });
  tracker.observe({ type: "auth_failure", timestamp: at.toISOString(), client_ip: evil, reason: evil, error: evil });
  const cookie = sessionCookie(await login(TOKEN));
  for (const path of ["/admin/", "/admin/active", "/admin/failures"]) {
    const html = await (await req(path, { headers: { cookie } })).text();
    assert(!html.includes("<img"), `${path} renders the claim as markup`);
    assertStringIncludes(html, "&lt;img src=x onerror=alert(1)&gt;", path);
    assert(!/<script/i.test(html), `${path} has a script tag`);
  }
});
