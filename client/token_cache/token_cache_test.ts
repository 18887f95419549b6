/** @module Tests for the token cache with the real token file (the real keychain is in tests/keychain_test.ts). */

import { join } from "node:path";
import { assert, assertEquals, assertMatch, assertRejects } from "../../tests/helpers/assert.ts";
import { isTalosOidcError } from "../../shared/errors.ts";
import type { Logger } from "../../shared/log.ts";
import type { CachedToken } from "../types.ts";
import type { KeychainBackend } from "./keychain.ts";
import { createTokenCache } from "./token_cache.ts";

const KEY = { context: "oidc", issuer: "https://idp.example.com", clientId: "talosctl" };
const TOKEN: CachedToken = {
  access_token: "at-1",
  refresh_token: "rt-1",
  id_token: "id-1",
  expires_at: "2030-01-01T00:00:00Z",
  issuer: KEY.issuer,
  client_id: KEY.clientId,
};

function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const push = (level: string) => (msg: string) => void lines.push(`${level}: ${msg}`);
  return { lines, debug: push("debug"), info: push("info"), warn: push("warn"), error: push("error") };
}

async function tempHome(): Promise<{ home: string; env: Record<string, string> } & AsyncDisposable> {
  const home = await Deno.makeTempDir({ prefix: "tc-home-" });
  return {
    home,
    env: { HOME: home, PATH: "/usr/bin:/bin" },
    [Symbol.asyncDispose]: () => Deno.remove(home, { recursive: true }),
  };
}

Deno.test("createTokenCache() without a keychain writes tokens.json 0600 in a 0700 dir, in the original shape", async () => {
  await using h = await tempHome();
  const logger = recordingLogger();
  const cache = createTokenCache({ env: h.env, logger, keychain: null, os: "linux" });
  assertEquals(cache.filePath, join(h.home, ".config", "talosctl-oidc", "tokens.json"));
  await cache.put(KEY, TOKEN);
  assertEquals((await Deno.stat(cache.filePath)).mode! & 0o777, 0o600);
  assertEquals((await Deno.stat(join(h.home, ".config", "talosctl-oidc"))).mode! & 0o777, 0o700);
  assertEquals(JSON.parse(await Deno.readTextFile(cache.filePath)), { oidc: TOKEN });
  assertEquals(await cache.get(KEY), TOKEN);
  assertEquals(await cache.backend(), "file");
  assertEquals(logger.lines.filter((l) => l.startsWith("warn:")).length, 1);
  assertMatch(logger.lines.find((l) => l.startsWith("warn:"))!, /keychain unavailable.*tokens\.json/);
});

Deno.test("get() ignores a cached token whose issuer or client id differs from the key", async () => {
  await using h = await tempHome();
  const cache = createTokenCache({ env: h.env, logger: recordingLogger(), keychain: null, os: "linux" });
  await cache.put(KEY, TOKEN);
  assertEquals(await cache.get({ ...KEY, issuer: "https://other.example.com" }), null);
  assertEquals(await cache.get({ ...KEY, clientId: "someone-else" }), null);
  assertEquals(await cache.get({ ...KEY, issuer: KEY.issuer + "/" }), TOKEN);
});

Deno.test("the file cache refuses a tokens.json that group or others can read, with the chmod fix", async () => {
  await using h = await tempHome();
  const cache = createTokenCache({ env: h.env, logger: recordingLogger(), keychain: null, os: "linux" });
  await cache.put(KEY, TOKEN);
  await Deno.chmod(cache.filePath, 0o644);
  const err = await assertRejects(() => cache.get(KEY), (e) => isTalosOidcError(e, "ERR_TOKEN_CACHE"));
  assertMatch((err as Error).message, /mode is 0644/);
  assertMatch((err as { hint: string }).hint, /chmod 600 .*tokens\.json/);
  await assertRejects(() => cache.put(KEY, TOKEN), (e) => isTalosOidcError(e, "ERR_TOKEN_CACHE"));
  assertEquals((await Deno.stat(cache.filePath)).mode! & 0o777, 0o644); // not silently "fixed"
});

Deno.test("delete() removes only that context and deletes the file when it becomes empty", async () => {
  await using h = await tempHome();
  const cache = createTokenCache({ env: h.env, logger: recordingLogger(), keychain: null, os: "linux" });
  await cache.put(KEY, TOKEN);
  await cache.put({ ...KEY, context: "other" }, TOKEN);
  assertEquals(await cache.delete("oidc"), ["file"]);
  assertEquals(Object.keys(JSON.parse(await Deno.readTextFile(cache.filePath))), ["other"]);
  assertEquals(await cache.delete("oidc"), []);
  assertEquals(await cache.delete("other"), ["file"]);
  await assertRejects(() => Deno.stat(cache.filePath), (e) => e instanceof Deno.errors.NotFound);
});

Deno.test("put() falls back to the file with one warning when the keychain refuses to store", async () => {
  await using h = await tempHome();
  const logger = recordingLogger();
  const broken: KeychainBackend = {
    name: "broken",
    probe: () => Promise.resolve(null),
    get: () => Promise.resolve(null),
    set: () => Promise.reject(new Error("blob too large")),
    delete: () => Promise.resolve(false),
  };
  const cache = createTokenCache({ env: h.env, logger, keychain: broken, os: "linux" });
  await cache.put(KEY, TOKEN);
  await cache.put(KEY, { ...TOKEN, access_token: "at-2" });
  assertEquals((await cache.get(KEY))?.access_token, "at-2");
  assertEquals(logger.lines.filter((l) => l.startsWith("warn:")).length, 1);
  assert(!JSON.stringify(logger.lines).includes("rt-1"));
});

Deno.test("describe() names the file and why the keychain is not used", async () => {
  await using h = await tempHome();
  const cache = createTokenCache({ env: h.env, logger: recordingLogger(), os: "linux" });
  const d = await cache.describe();
  assertEquals(d.backend, "file");
  assertEquals(d.keychain, "secret-service (secret-tool)");
  assertMatch(d.keychainProblem!, /D-Bus|secret-tool/);
});

Deno.test("lock() serializes two refreshes of the same key", async () => {
  await using h = await tempHome();
  const cache = createTokenCache({ env: h.env, logger: recordingLogger(), keychain: null, os: "linux" });
  const first = await cache.lock(KEY);
  await assertRejects(() => cache.lock(KEY, { timeoutMs: 100 }), (e) => isTalosOidcError(e, "ERR_TIMEOUT"));
  await first.release();
  await using _again = await cache.lock(KEY, { timeoutMs: 1000 });
});

Deno.test("TALOSCTL_OIDC_KEYCHAIN=off uses the file on purpose: a debug line (-v), no warning", async () => {
  await using h = await tempHome();
  const logger = recordingLogger();
  const cache = createTokenCache({ env: { ...h.env, TALOSCTL_OIDC_KEYCHAIN: "off" }, logger, os: "linux" });
  await cache.put(KEY, TOKEN);
  assertEquals(await cache.backend(), "file");
  assertEquals(logger.lines.filter((l) => l.startsWith("warn:")), []);
  assertMatch(logger.lines.find((l) => l.startsWith("debug:"))!, /TALOSCTL_OIDC_KEYCHAIN is off; caching tokens in/);
});
