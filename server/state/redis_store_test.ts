/**
 * @module The Redis store against a real redis-server: the same decisions as the in-process store (limits and
 * lock-out, step by step under one clock), sessions, the password file, valkey:// URLs, and a wrong password reported
 * without the password.
 */

import { assert, assertEquals } from "../../tests/helpers/assert.ts";
import { startTestRedis } from "../../tests/helpers/redis.ts";
import { seededRandom } from "../../tests/helpers/seeded_random.ts";
import { jsonLogger } from "../../shared/log.ts";
import { Secret } from "../../shared/secret.ts";
import { parseStoreUrl } from "../config_scale.ts";
import { createMemoryStore } from "./memory_store.ts";
import { createRedisStore } from "./redis_store.ts";

function storeConfig(url: string, passwordFile?: string) {
  const parsed = parseStoreUrl(url);
  if (typeof parsed === "string") throw new Error(parsed);
  return { url: new Secret(url), ...parsed, ...(passwordFile ? { passwordFile } : {}) };
}

Deno.test("the Redis store decides limits and lock-outs exactly as the in-process store, step by step", async () => {
  await using redis = await startTestRedis();
  let t = 1_700_000_000_000;
  const now = () => t;
  const rateLimit = { requests: 3, windowMs: 10_000, perSubject: 2 };
  const memory = createMemoryStore({ rateLimit, now });
  const shared = await createRedisStore({
    config: storeConfig(redis.url),
    rateLimit,
    failOpen: false,
    now,
    logger: jsonLogger({ write: () => {} }),
  });
  try {
    const random = seededRandom(16);
    const rand = random.next;
    for (let i = 0; i < 300; i++) {
      t += Math.floor(rand() * 2500);
      const scope = rand() < 0.5 ? "ip" : "subject";
      const key = `k${Math.floor(rand() * 3)}`;
      const [a, b] = [await memory.limiter(scope)!.hit(key), await shared.limiter(scope)!.hit(key)];
      assertEquals(b, a, `step ${i}: ${scope} ${key}; ${random.label}`);
      const who = `addr${Math.floor(rand() * 2)}`, ok = rand() < 0.15;
      assertEquals(
        await shared.lockout.attempt(who, ok),
        await memory.lockout.attempt(who, ok),
        `lock-out step ${i}; ${random.label}`,
      );
      assertEquals(await shared.lockout.lockedFor(who), await memory.lockout.lockedFor(who));
    }
  } finally {
    await shared.close();
  }
});

Deno.test("Redis sessions live 24 h, are found by any replica, and hold no usable cookie in the store", async () => {
  await using redis = await startTestRedis();
  let t = Date.now();
  const make = () =>
    createRedisStore({
      config: storeConfig(redis.url),
      rateLimit: { requests: 0, windowMs: 60_000, perSubject: 0 },
      failOpen: false,
      now: () => t,
      logger: jsonLogger({ write: () => {} }),
    });
  const [a, b] = [await make(), await make()];
  try {
    const { id, session } = await a.sessions.create();
    assertEquals((await b.sessions.get(id))?.csrf, session.csrf);
    assert(!(await redis.cli("KEYS", "*")).includes(id), "the cookie value is not a key");
    t += 24 * 3_600_000;
    assertEquals(await b.sessions.get(id), undefined, "expired after 24 h");
    const other = await b.sessions.create();
    await a.sessions.destroy(other.id);
    assertEquals(await b.sessions.get(other.id), undefined);
  } finally {
    await a.close();
    await b.close();
  }
});

Deno.test("the store password comes from state_store_password_file; a wrong one fails closed and is never logged", async () => {
  const password = "s3cret-redis-password";
  await using redis = await startTestRedis({ password });
  const dir = await Deno.makeTempDir();
  try {
    const file = `${dir}/password`;
    await Deno.writeTextFile(file, `${password}\n`, { mode: 0o600 });
    const logs: string[] = [];
    const logger = jsonLogger({ write: (l) => void logs.push(l) });
    const rateLimit = { requests: 1, windowMs: 60_000, perSubject: 0 };
    const url = `valkey://127.0.0.1:${redis.port}/3`; // valkey:// is redis:// on the wire
    const good = await createRedisStore({
      config: storeConfig(url, file),
      rateLimit,
      failOpen: false,
      now: Date.now,
      logger,
    });
    assertEquals((await good.limiter("ip")!.hit("x")).allowed, true);
    assertEquals(good.health(), { ok: true });
    await good.close();

    await Deno.writeTextFile(file, "wrong-password", { mode: 0o600 });
    const bad = await createRedisStore({
      config: storeConfig(url, file),
      rateLimit,
      failOpen: false,
      now: Date.now,
      logger,
    });
    const err = await Promise.resolve(bad.limiter("ip")!.hit("x")).catch((e) => e);
    assertEquals(err.code, "ERR_STATE_STORE");
    assertEquals(bad.health().ok, false);
    await bad.close();
    assert(logs.some((l) => l.includes("unreachable")), logs.join("\n"));
    assert(!logs.join("\n").includes(password) && !logs.join("\n").includes("wrong-password"), "no password logged");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
