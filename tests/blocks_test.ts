/**
 * @module The subject block list over real TLS: the admin API, every worker thread refusing at once, the dashboard's
 * Block and Unblock buttons, `talosctl-oidc admin` for scripts, and state_store_fail_open keeping the last list.
 */

import { fileURLToPath } from "node:url";
import { assert, assertEquals, assertStringIncludes } from "./helpers/assert.ts";
import { startTestIdp } from "./helpers/idp.ts";
import { startTestRedis } from "./helpers/redis.ts";
import { startTestServer, type TestServer } from "./helpers/server.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const ADMIN = "an-admin-token-of-more-than-32-characters";

function api(s: TestServer, method: string, path: string, body?: unknown, token = ADMIN): Promise<Response> {
  using client = Deno.createHttpClient({ caCerts: [s.tlsCaPem!], http2: false });
  return fetch(`${s.url}${path}`, {
    method,
    client,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
}

/** An exchange on a connection of its own (so that, with workers, it may land on any thread). */
async function exchange(s: TestServer, idToken: string): Promise<{ status: number; code?: string }> {
  using client = Deno.createHttpClient({ caCerts: [s.tlsCaPem!], http2: false });
  const res = await fetch(`${s.url}/exchange`, { method: "POST", body: JSON.stringify({ id_token: idToken }), client });
  return { status: res.status, code: (await res.json()).code };
}

Deno.test("POST /admin/blocks refuses that subject or email at /exchange on every worker, audited; DELETE lifts it", async () => {
  await using idp = await startTestIdp();
  await using s = await startTestServer({ idp, config: { admin_token: ADMIN, workers: 2, rate_limit_requests: 0 } });
  assertEquals((await api(s, "POST", "/admin/blocks", { subject: "bob", reason: "x" }, "wrong")).status, 403);
  const bad = await api(s, "POST", "/admin/blocks", { reason: "no one named" });
  assertEquals([bad.status, (await bad.json()).error], [
    400,
    "give subject or email (the ID token's sub or email claim) to block",
  ]);
  const made = await api(s, "POST", "/admin/blocks", { subject: "bob", reason: "left the company" });
  assertEquals(made.status, 201);
  const { block } = await made.json();
  await api(s, "POST", "/admin/blocks", { email: "Carol@Example.com", reason: "account compromised" });

  const bob = await idp.mint({ sub: "bob" });
  const carol = await idp.mint({ sub: "carol-2", email: "carol@example.com", email_verified: true });
  const results = await Promise.all(Array.from({ length: 12 }, (_, i) => exchange(s, i % 2 ? bob : carol)));
  assertEquals(new Set(results.map((r) => `${r.status} ${r.code}`)), new Set(["403 ERR_BLOCKED"]));
  assertEquals((await exchange(s, await idp.mint({ sub: "dave" }))).status, 200, "others are not held up");
  const refused = s.audit.filter((e) => e.type === "subject_blocked");
  assertEquals(refused.length, 12);
  assertEquals(s.audit.filter((e) => e.type === "admin_block").map((e) => e.reason), [
    "left the company",
    "account compromised",
  ]);

  const listed = await (await api(s, "GET", "/admin/blocks")).json();
  assertEquals(listed.blocks.map((b: { subject?: string; email?: string }) => b.subject ?? b.email), [
    "bob",
    "carol@example.com",
  ]);
  assertEquals((await api(s, "DELETE", `/admin/blocks/${block.id}`)).status, 200);
  assertEquals((await api(s, "DELETE", `/admin/blocks/${block.id}`)).status, 404);
  const again = await Promise.all(Array.from({ length: 6 }, () => exchange(s, bob)));
  assertEquals(again.map((r) => r.status), [200, 200, 200, 200, 200, 200]);
  assertEquals(s.audit.filter((e) => e.type === "admin_unblock").length, 1);
});

Deno.test("the dashboard's Block button on a certificate row blocks it; the Blocked tab's Unblock lifts it", async () => {
  await using idp = await startTestIdp();
  await using s = await startTestServer({ idp, config: { admin_token: ADMIN } });
  assertEquals((await exchange(s, await idp.mint({ sub: "erin" }))).status, 200);
  using client = Deno.createHttpClient({ caCerts: [s.tlsCaPem!] });
  let cookie = "";
  const get = async (path: string, init: RequestInit = {}) => {
    const res = await fetch(`${s.url}${path}`, {
      ...init,
      client,
      redirect: "manual",
      headers: { ...init.headers as Record<string, string>, cookie, origin: s.url },
    });
    const set = res.headers.getSetCookie().map((c) => c.split(";")[0]!);
    if (set.length) cookie = [...cookie.split("; ").filter(Boolean), ...set].join("; ");
    return { res, text: await res.text() };
  };
  const form = (fields: Record<string, string>) => ({
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(fields),
  });
  const login = await get("/admin/");
  const loginCsrf = /name="csrf" value="([^"]+)"/.exec(login.text)![1]!;
  assertEquals((await get("/admin/login", form({ token: ADMIN, csrf: loginCsrf }))).res.status, 303);
  const overview = await get("/admin/");
  assertStringIncludes(overview.text, 'action="/admin/block"');
  const csrf = /name="csrf" value="([^"]+)"/.exec(overview.text)![1]!;
  assertStringIncludes(overview.text, 'name="subject" value="erin"');

  assertEquals((await get("/admin/block", form({ csrf: "forged", subject: "erin", reason: "r" }))).res.status, 403);
  const blocked = await get("/admin/block", form({ csrf, subject: "erin", reason: "laptop stolen" }));
  assertEquals([blocked.res.status, blocked.res.headers.get("location")], [303, "/admin/blocked"]);
  assertEquals(await exchange(s, await idp.mint({ sub: "erin" })), { status: 403, code: "ERR_BLOCKED" });
  const tab = await get("/admin/blocked");
  assertStringIncludes(tab.text, "laptop stolen");
  const id = /name="id" value="([^"]+)"/.exec(tab.text)![1]!;
  assertEquals((await get("/admin/unblock", form({ csrf, id }))).res.status, 303);
  assertEquals((await exchange(s, await idp.mint({ sub: "erin" }))).status, 200);
  assertEquals(s.audit.filter((e) => e.type === "admin_block" || e.type === "admin_unblock").length, 2);
});

Deno.test("talosctl-oidc admin block|blocks|unblock drive the block list from a script (token from the environment)", async () => {
  await using idp = await startTestIdp();
  await using s = await startTestServer({ idp, config: { admin_token: ADMIN } });
  const dir = await Deno.makeTempDir({ prefix: "admin-cli-" });
  try {
    const ca = `${dir}/server-ca.pem`;
    await Deno.writeTextFile(ca, s.tlsCaPem!);
    const cli = async (args: string[], env: Record<string, string> = { TALOSCTL_OIDC_ADMIN_TOKEN: ADMIN }) => {
      const out = await new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", "main.ts", "admin", ...args, "--server", s.url, "--server-ca", ca],
        cwd: ROOT,
        clearEnv: true,
        env: { PATH: Deno.env.get("PATH") ?? "", HOME: dir, NO_COLOR: "1", RUST_BACKTRACE: "0", ...env },
      }).output();
      const dec = new TextDecoder();
      return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
    };
    const made = await cli([
      "block",
      "--email",
      "frank@example.com",
      "--reason",
      "left",
      "--until",
      "30d",
      "-o",
      "json",
    ]);
    assertEquals(made.code, 0, made.stderr);
    const block = JSON.parse(made.stdout);
    assertEquals([block.email, block.reason], ["frank@example.com", "left"]);
    assert(Date.parse(block.until) > Date.now() + 29 * 86_400_000);
    const frank = await idp.mint({ sub: "f", email: "frank@example.com", email_verified: true });
    assertEquals((await exchange(s, frank)).code, "ERR_BLOCKED");
    const listed = await cli(["blocks"]);
    assertStringIncludes(listed.stdout, `${block.id}  email frank@example.com  "left"`);
    assertEquals((await cli(["unblock", block.id])).code, 0);
    assertEquals((await exchange(s, frank)).status, 200);

    const noToken = await cli(["blocks"], {});
    assertEquals(noToken.code, 2);
    assertStringIncludes(noToken.stderr, "hint: set TALOSCTL_OIDC_ADMIN_TOKEN, or pass --token-file PATH");
    const wrong = await cli(["blocks"], { TALOSCTL_OIDC_ADMIN_TOKEN: "not-the-token" });
    assertEquals(wrong.code, 1);
    assertStringIncludes(wrong.stderr, "error: the server refused: invalid admin token");
    assert(!wrong.stderr.includes("not-the-token"), "the token is never printed");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("state_store_fail_open: Redis down lets exchanges through with the last block list; /readyz says degraded", async () => {
  await using idp = await startTestIdp();
  await using redis = await startTestRedis();
  const config = { admin_token: ADMIN, state_store: redis.url, state_store_fail_open: true, rate_limit_requests: 5 };
  await using s = await startTestServer({ idp, config });
  assertEquals((await api(s, "POST", "/admin/blocks", { subject: "gina", reason: "x" })).status, 201);
  await redis.stop();
  const statuses = [];
  for (let i = 0; i < 8; i++) statuses.push((await exchange(s, await idp.mint({ sub: "hank" }))).status);
  assertEquals(statuses, [200, 200, 200, 200, 200, 200, 200, 200], "no limit while the store is down");
  assertEquals(await exchange(s, await idp.mint({ sub: "gina" })), { status: 403, code: "ERR_BLOCKED" });
  const ready = await (await api(s, "GET", "/readyz")).json();
  assertEquals([ready.status, ready.checks.state_store], ["degraded", true]);
  assertStringIncludes(ready.details.state_store, "state_store_fail_open: limits and blocks are not enforced");
});
