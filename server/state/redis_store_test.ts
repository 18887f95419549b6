/**
 * @module The Redis store against a real redis-server: the same decisions as the in-process store (limits and
 * lock-out, in real time), one window and one lock-out for replicas whose clocks disagree, sessions, the password
 * file, valkey:// URLs, and a wrong password reported without the password.
 */

import { assert, assertEquals } from "../../tests/helpers/assert.ts";
import { startTestRedis } from "../../tests/helpers/redis.ts";
import { jsonLogger } from "../../shared/log.ts";
import { Secret } from "../../shared/secret.ts";
import { sleep } from "../../shared/sleep.ts";
import type { RateDecision } from "../middleware/sliding_window.ts";
import { parseStoreUrl } from "../config_scale.ts";
import { createMemoryStore } from "./memory_store.ts";
import { createRedisStore } from "./redis_store.ts";
import type { StateStore } from "./types.ts";

function storeConfig(url: string, passwordFile?: string) {
  const parsed = parseStoreUrl(url);
  if (typeof parsed === "string") throw new Error(parsed);
  return { url: new Secret(url), ...parsed, ...(passwordFile ? { passwordFile } : {}) };
}

/** The rules every store applies, on real time with a short window (the Redis scripts read the store's own clock). */
const WINDOW = 1000;
const RATE_LIMIT = { requests: 3, windowMs: WINDOW, perSubject: 2 };

function redisStore(url: string, now: () => number, rateLimit = RATE_LIMIT) {
  return createRedisStore({
    config: storeConfig(url),
    rateLimit,
    failOpen: false,
    now,
    logger: jsonLogger({ write: () => {} }),
  });
}

const allowed = (remaining: number) => ({ allowed: true, remaining });

/** A refusal: whether it is the first reported in its window, and a retry within (0, most]. */
function assertRefused(
  d: RateDecision,
  first: boolean,
  most: number,
  what: string,
): asserts d is Extract<RateDecision, { allowed: false }> {
  assert(!d.allowed, `${what}: refused (${JSON.stringify(d)})`);
  assertEquals(d.firstRejection, first, `${what}: first refusal in the window`);
  assert(d.retryAfterMs > 0 && d.retryAfterMs <= most, `${what}: retry in (0, ${most}] ms, got ${d.retryAfterMs}`);
}

/** Limits and lock-out as lockout.ts and sliding_window.ts define them, on `store` in real time. */
async function assertRules(store: StateStore, label: string) {
  const ip = store.limiter("ip")!, subject = store.limiter("subject")!;
  assertEquals(await ip.hit("k"), allowed(2), label);
  await sleep(WINDOW / 2);
  assertEquals([await ip.hit("k"), await ip.hit("k")], [allowed(1), allowed(0)], label);
  const refused = await ip.hit("k");
  assertRefused(refused, true, WINDOW / 2, `${label}: the retry counts from the oldest request`);
  assertRefused(await ip.hit("k"), false, WINDOW / 2, `${label}: one report per window`);
  assertEquals(await ip.hit("other"), allowed(2), `${label}: each key has its own window`);
  assertEquals([await subject.hit("k"), await subject.hit("k")], [allowed(1), allowed(0)], `${label}: and each scope`);
  assertRefused(await subject.hit("k"), true, WINDOW, `${label}: per subject`);
  await sleep(refused.retryAfterMs + 20);
  assertEquals(await ip.hit("k"), allowed(0), `${label}: the oldest left the window, refusals were not counted`);
  await sleep(WINDOW + 20);
  assertEquals([await ip.hit("k"), await ip.hit("k"), await ip.hit("k")], [allowed(2), allowed(1), allowed(0)]);
  assertRefused(await ip.hit("k"), true, WINDOW, `${label}: a new window reports its first refusal again`);

  const lock = store.lockout;
  const failures = [];
  for (let i = 0; i < 5; i++) failures.push(await lock.attempt("addr", false));
  const failed = (lockMs: number) => ({ outcome: "failed", lockMs });
  assertEquals(failures, [failed(0), failed(0), failed(0), failed(0), failed(1000)], `${label}: the 5th locks 1 s`);
  for (const ok of [true, false]) {
    const a = await lock.attempt("addr", ok);
    assert(a.outcome === "locked" && a.retryMs > 0 && a.retryMs <= 1000, `${label}: locked (${JSON.stringify(a)})`);
  }
  const left = await lock.lockedFor("addr");
  assert(left > 0 && left <= 1000, `${label}: lockedFor ${left}`);
  await sleep(left + 20);
  assertEquals(await lock.lockedFor("addr"), 0, `${label}: the lock ended`);
  assertEquals(await lock.attempt("addr", false), failed(2000), `${label}: locked attempts were not counted`);
  for (let i = 0; i < 3; i++) assertEquals(await lock.attempt("b", false), failed(0));
  assertEquals(await lock.attempt("b", true), { outcome: "ok" }, `${label}: a success is checked`);
  const again = [];
  for (let i = 0; i < 5; i++) again.push(await lock.attempt("b", false));
  assertEquals(again, [failed(0), failed(0), failed(0), failed(0), failed(1000)], `${label}: and clears the record`);
}

Deno.test("the Redis store applies the in-process store's rules to limits and lock-outs", async () => {
  await using redis = await startTestRedis();
  const shared = await redisStore(redis.url, Date.now);
  try {
    const memory = createMemoryStore({ rateLimit: RATE_LIMIT, now: Date.now });
    await Promise.all([assertRules(memory, "memory"), assertRules(shared, "redis")]);
  } finally {
    await shared.close();
  }
});

Deno.test("replicas whose clocks disagree by minutes share one window and one lock-out: the store's clock decides", async () => {
  await using redis = await startTestRedis();
  let [skewA, skewB] = [7 * 60_000, -7 * 60_000];
  const rateLimit = { requests: 3, windowMs: WINDOW, perSubject: 0 };
  const a = await redisStore(redis.url, () => Date.now() + skewA, rateLimit);
  const b = await redisStore(redis.url, () => Date.now() + skewB, rateLimit);
  try {
    const [ipA, ipB] = [a.limiter("ip")!, b.limiter("ip")!];
    assertEquals([await ipA.hit("k"), await ipB.hit("k"), await ipA.hit("k")], [allowed(2), allowed(1), allowed(0)]);
    skewA += 3_600_000; // one replica's clock stepped an hour ahead: the window stays where it was
    assertRefused(await ipB.hit("k"), true, WINDOW, "the replica behind");
    assertRefused(await ipA.hit("k"), false, WINDOW, "the replica ahead (and stepped) opens no window early");

    const failures = [];
    for (let i = 0; i < 5; i++) failures.push(await (i % 2 ? a : b).lockout.attempt("addr", false));
    assertEquals(failures.map((f) => f.outcome === "failed" && f.lockMs), [0, 0, 0, 0, 1000]);
    skewB -= 3_600_000;
    for (const [store, ok] of [[a, true], [b, false]] as const) {
      const attempt = await store.lockout.attempt("addr", ok);
      assert(attempt.outcome === "locked" && attempt.retryMs <= 1000, `one lock for both: ${JSON.stringify(attempt)}`);
    }
    const left = [await a.lockout.lockedFor("addr"), await b.lockout.lockedFor("addr")];
    assert(left.every((ms) => ms > 0 && ms <= 1000), `both see the lock end within 1 s: ${left}`);
    await sleep(Math.max(...left) + 20);
    assertEquals([await a.lockout.lockedFor("addr"), await b.lockout.lockedFor("addr")], [0, 0], "over for both");
    assertEquals(await a.lockout.attempt("addr", false), { outcome: "failed", lockMs: 2000 }, "one count of failures");
    assertEquals((await b.lockout.attempt("addr", true)).outcome, "locked");
    assertEquals(await ipB.hit("k"), allowed(2), "the window over for both");
  } finally {
    await a.close();
    await b.close();
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
