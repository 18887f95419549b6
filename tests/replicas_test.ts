/**
 * @module Two `serve` processes sharing one real redis-server (state_store): they act as one for limits, admin
 * sessions, the issuance history and blocks; losing Redis fails closed and they recover by themselves; each keeps its
 * own audit chain.
 */

import { join } from "node:path";
import { auditVerify } from "./helpers/cli.ts";
import { assert, assertEquals, assertStringIncludes } from "./helpers/assert.ts";
import { createDevCa } from "./helpers/dev_ca.ts";
import { startTestIdp } from "./helpers/idp.ts";
import { startTestRedis } from "./helpers/redis.ts";
import { serveEnv } from "./helpers/server.ts";
import { type ServeProcess, spawnServe } from "./helpers/serve_process.ts";

const ADMIN = "an-admin-token-of-more-than-32-characters";

/** POST /exchange as `ip` (X-Forwarded-For from the trusted loopback proxy), on a fresh connection. */
async function exchange(s: ServeProcess, idToken: string, ip: string): Promise<{ status: number; code?: string }> {
  const res = await s.fetch("/exchange", {
    method: "POST",
    headers: { "x-forwarded-for": ip },
    body: JSON.stringify({ id_token: idToken }),
  });
  return { status: res.status, code: (await res.json()).code };
}

function admin(s: ServeProcess, method: string, path: string, body?: unknown): Promise<Response> {
  return s.fetch(path, {
    method,
    headers: { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
}

Deno.test("two replicas on one redis-server act as one, fail closed without it and recover", async (t) => {
  await using idp = await startTestIdp();
  await using redis = await startTestRedis();
  const ca = await createDevCa("ed25519");
  const dir = await Deno.makeTempDir({ prefix: "replicas-" });
  const env = (replica: string, workers: string) => ({
    ...serveEnv(idp, ca),
    TALOSCTL_OIDC_STATE_STORE: redis.url,
    TALOSCTL_OIDC_RATE_LIMIT_REQUESTS: "3",
    TALOSCTL_OIDC_TRUSTED_PROXIES: "127.0.0.1",
    TALOSCTL_OIDC_ADMIN_TOKEN: ADMIN,
    TALOSCTL_OIDC_AUDIT_LOG: join(dir, "audit.jsonl"),
    TALOSCTL_OIDC_REPLICA_ID: replica,
    TALOSCTL_OIDC_WORKERS: workers,
  });
  try {
    // One replica with a worker thread (calls go worker → owner thread → Redis), one with a single loop.
    await using a = await spawnServe(env("a", "2"), join(dir, "a"));
    await using b = await spawnServe(env("b", "1"), join(dir, "b"));

    await t.step("a rate limit of 3 per window holds across both", async () => {
      const statuses = [];
      for (let i = 0; i < 6; i++) {
        statuses.push((await exchange(i % 2 ? b : a, await idp.mint(), "198.51.100.1")).status);
      }
      assertEquals(statuses, [200, 200, 200, 429, 429, 429]);
    });

    await t.step("an admin session made on one works on the other", async () => {
      const page = await a.fetch("/admin/");
      const csrf = /name="csrf" value="([^"]+)"/.exec(await page.text())![1]!;
      const cookie = page.headers.getSetCookie().map((c) => c.split(";")[0]).join("; ");
      const login = await a.fetch("/admin/login", {
        method: "POST",
        redirect: "manual",
        headers: { origin: a.url, cookie, "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ token: ADMIN, csrf }),
      });
      assertEquals(login.status, 303);
      const session = login.headers.getSetCookie().find((c) => c.startsWith("talosctl_oidc_admin_session="))!;
      const onB = await b.fetch("/admin/", { headers: { cookie: session.split(";")[0]! } });
      assertEquals(onB.status, 200);
      assertStringIncludes(await onB.text(), "Logout");
    });

    await t.step("the issuance list shows the certificates of both", async () => {
      assertEquals((await exchange(a, await idp.mint({ sub: "from-a" }), "198.51.100.2")).status, 200);
      assertEquals((await exchange(b, await idp.mint({ sub: "from-b" }), "198.51.100.3")).status, 200);
      for (const s of [a, b]) {
        const certs = await (await admin(s, "GET", "/admin/certs")).json() as { subject: string }[];
        const subjects = certs.map((c) => c.subject);
        assert(subjects.includes("from-a") && subjects.includes("from-b"), `${s.url}: ${subjects}`);
      }
    });

    await t.step("a block made on one is refused on the other within a second", async () => {
      const token = await idp.mint({ sub: "bob" });
      assertEquals((await exchange(b, token, "198.51.100.4")).status, 200);
      const made = await admin(a, "POST", "/admin/blocks", { subject: "bob", reason: "left the company" });
      assertEquals(made.status, 201);
      const deadline = performance.now() + 1000;
      let r = await exchange(b, token, "198.51.100.5");
      while (r.status === 200 && performance.now() < deadline) r = await exchange(b, token, "198.51.100.5");
      assertEquals(r, { status: 403, code: "ERR_BLOCKED" });
      const { blocks } = await (await admin(b, "GET", "/admin/blocks")).json();
      assertEquals(blocks.map((x: { subject: string }) => x.subject), ["bob"]);
    });

    await t.step("Redis stopped: 503 ERR_STATE_STORE, a log line naming the store, /readyz says so", async () => {
      await redis.stop();
      for (const s of [a, b]) {
        let r = await exchange(s, await idp.mint({ sub: "carol" }), "198.51.100.6");
        const deadline = performance.now() + 3000; // until the store's loss shows (the connection notices at once)
        while (r.status !== 503 && performance.now() < deadline) {
          r = await exchange(s, await idp.mint({ sub: "carol" }), "198.51.100.6");
        }
        assertEquals(r, { status: 503, code: "ERR_STATE_STORE" });
        // Each event loop has its own connection: /readyz may come from one that notices the loss a moment later.
        let ready = await (await s.fetch("/readyz")).json();
        while (ready.status !== "not ready" && performance.now() < deadline) {
          ready = await (await s.fetch("/readyz")).json();
        }
        assertEquals([ready.status, ready.checks.state_store], ["not ready", false]);
        assert(s.logs.some((l) => l.includes(`state store ${redis.url} unreachable`)), s.logs.join("\n"));
      }
    });

    await t.step("Redis back: both recover without a restart", async () => {
      await redis.start(); // empty: the limits and the block list start over
      for (const s of [a, b]) {
        let r = await exchange(s, await idp.mint({ sub: "dave" }), "198.51.100.7");
        const deadline = performance.now() + 5000; // reconnects back off to at most 1 s
        while (r.status !== 200 && performance.now() < deadline) {
          r = await exchange(s, await idp.mint({ sub: "dave" }), "198.51.100.8");
        }
        assertEquals(r.status, 200);
        assert(s.logs.some((l) => l.includes("reachable again")));
      }
    });

    await t.step("each replica keeps its own audit chain, named by its id, that audit verify accepts", async () => {
      assertEquals([await a.stop(), await b.stop()], [0, 0]);
      for (const id of ["a", "b"]) {
        const path = join(dir, `audit.${id}.jsonl`);
        const types = (await Deno.readTextFile(path)).trim().split("\n").map((l) => JSON.parse(l).type);
        assert(types.includes("cert_issued"), `${path}: ${types}`);
        const verify = await auditVerify(path);
        assertEquals(verify.code, 0, verify.out);
      }
      const blockLine = (await Deno.readTextFile(join(dir, "audit.a.jsonl"))).includes('"type":"admin_block"');
      assert(blockLine, "the block is in the chain of the replica that made it");
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
