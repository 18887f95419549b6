/**
 * @module Token cache against a REAL Secret Service: gnome-keyring on a private D-Bus session bus.
 *
 * Under `scripts/with_keyring.sh` (which sets TALOSCTL_OIDC_TEST_KEYRING=1) the session's throwaway keyring is used;
 * otherwise each test starts its own dbus-daemon + gnome-keyring-daemon and stops them afterwards, so the user's real
 * keyring is never written. Skipped, with a message, only when gnome-keyring / secret-tool / dbus are not installed.
 */

import { join } from "node:path";
import { assert, assertEquals, assertMatch } from "./helpers/assert.ts";
import { nullLogger } from "../shared/log.ts";
import { secretServiceKeychain } from "../client/token_cache/secret_service.ts";
import { createTokenCache } from "../client/token_cache/token_cache.ts";
import type { CachedToken } from "../client/types.ts";

const TOOLS = ["dbus-daemon", "gnome-keyring-daemon", "secret-tool"];
const missing = TOOLS.filter((t) =>
  new Deno.Command("sh", { args: ["-c", `command -v ${t}`] }).outputSync().code !== 0
);
if (missing.length > 0) {
  console.warn(
    `keychain_test: SKIPPED, not installed: ${missing.join(", ")} (apt-get install gnome-keyring ` +
      `libsecret-tools dbus)`,
  );
}
const ignore = missing.length > 0;

interface SecretService extends AsyncDisposable {
  env: Record<string, string>;
}

/** A Secret Service for one test: the with_keyring.sh session's, or a private bus + keyring started here. */
async function secretService(): Promise<SecretService> {
  const base = { PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin" };
  const ambient = Deno.env.get("DBUS_SESSION_BUS_ADDRESS");
  if (Deno.env.get("TALOSCTL_OIDC_TEST_KEYRING") === "1" && ambient) {
    return { env: { ...base, DBUS_SESSION_BUS_ADDRESS: ambient }, [Symbol.asyncDispose]: () => Promise.resolve() };
  }
  const dir = await Deno.makeTempDir({ prefix: "keyring-" });
  const bus = await new Deno.Command("dbus-daemon", {
    args: ["--session", "--fork", "--nopidfile", "--print-address=1", "--print-pid=1"],
    stderr: "null",
  }).output();
  const [address, pid] = new TextDecoder().decode(bus.stdout).trim().split("\n");
  const env = { ...base, DBUS_SESSION_BUS_ADDRESS: address! };
  const child = new Deno.Command("gnome-keyring-daemon", {
    args: ["--unlock", "--components=secrets"],
    env: { ...env, HOME: dir, XDG_DATA_HOME: dir },
    clearEnv: true,
    stdin: "piped",
    stdout: "null",
    stderr: "null",
  }).spawn();
  const w = child.stdin.getWriter();
  await w.write(new TextEncoder().encode("talosctl-oidc-test"));
  await w.close();
  await child.status;
  for (let i = 0; i < 50; i++) {
    if ((await secretServiceKeychain(env).probe()) === null) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    env,
    async [Symbol.asyncDispose]() {
      // The bus is ours (started above); gnome-keyring-daemon exits when its bus goes away.
      Deno.kill(Number(pid), "SIGTERM");
      await Deno.remove(dir, { recursive: true });
    },
  };
}

const token = (suffix: string, expiresAt = "2030-01-01T00:00:00Z"): CachedToken => ({
  access_token: `at-${suffix}`,
  refresh_token: `rt-${suffix}`,
  id_token: `id-${suffix}`,
  expires_at: expiresAt,
  issuer: "https://idp.example.com",
  client_id: "talosctl",
});

Deno.test({
  name: "secret-tool backend stores, reads and deletes a secret in the real gnome-keyring",
  ignore,
  async fn() {
    await using ss = await secretService();
    const kc = secretServiceKeychain(ss.env);
    assertEquals(await kc.probe(), null);
    const account = `test-${crypto.randomUUID()}`;
    const secret = JSON.stringify({ s: 'quotes " and \\ and\nnewline and ünïcode', long: "x".repeat(8000) });
    assertEquals(await kc.get(account), null);
    await kc.set(account, secret);
    assertEquals(await kc.get(account), secret);
    await kc.set(account, "replaced");
    assertEquals(await kc.get(account), "replaced");
    assertEquals(await kc.delete(account), true);
    assertEquals(await kc.get(account), null);
    assertEquals(await kc.delete(account), false);
  },
});

Deno.test({
  name: "createTokenCache() keeps tokens in the real keychain, writes no file, and removes a stale plaintext entry",
  ignore,
  async fn() {
    await using ss = await secretService();
    const home = await Deno.makeTempDir({ prefix: "kc-home-" });
    try {
      const env = { ...ss.env, HOME: home };
      const context = `ctx-${crypto.randomUUID().slice(0, 8)}`;
      const key = { context, issuer: "https://idp.example.com", clientId: "talosctl" };
      const fileOnly = createTokenCache({ env, logger: nullLogger, keychain: null, os: "linux" });
      await fileOnly.put(key, token("old", "2029-01-01T00:00:00Z"));

      const cache = createTokenCache({ env, logger: nullLogger, os: "linux" });
      assertEquals(await cache.backend(), "keychain");
      assertEquals((await cache.describe()).keychain, "secret-service (secret-tool)");
      await cache.put(key, token("new"));
      assertEquals(await cache.get(key), token("new"));
      await Deno.stat(cache.filePath).then(() => assert(false, "plaintext file kept"), () => {});
      // The stored value is the original tool's compact JSON under service/username attributes.
      const raw = await secretServiceKeychain(env).get(context);
      assertEquals(JSON.parse(raw!), token("new"));
      assertMatch(raw!, /^\{"access_token":"at-new","refresh_token":"rt-new","id_token":"id-new","expires_at"/);
      assertEquals(await cache.get({ ...key, clientId: "other" }), null);
      assertEquals(await cache.delete(context), ["keychain"]);
      assertEquals(await cache.get(key), null);
    } finally {
      await Deno.remove(home, { recursive: true });
    }
  },
});

Deno.test({
  name: "createTokenCache() falls back to the 0600 file with one warning when there is no session bus",
  ignore,
  async fn() {
    const home = await Deno.makeTempDir({ prefix: "kc-nobus-" });
    try {
      const warnings: string[] = [];
      const logger = { ...nullLogger, warn: (m: string) => void warnings.push(m) };
      const env = { PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin", HOME: home };
      const cache = createTokenCache({ env, logger, os: "linux" });
      assertEquals(await cache.backend(), "file");
      await cache.put({ context: "oidc", issuer: "https://idp.example.com", clientId: "talosctl" }, token("f"));
      assertEquals(warnings.length, 1);
      assertMatch(warnings[0]!, /no D-Bus session bus.*tokens\.json/);
      assertEquals((await Deno.stat(join(home, ".config/talosctl-oidc/tokens.json"))).mode! & 0o777, 0o600);
    } finally {
      await Deno.remove(home, { recursive: true });
    }
  },
});
