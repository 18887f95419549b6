/** @module Tests for the advisory lock file, on real files; waiting goes through an injected clock and sleep. */

import { join } from "node:path";
import { assert, assertEquals, assertMatch, assertRejects } from "../tests/helpers/assert.ts";
import { fixedClock } from "../shared/clock.ts";
import { isTalosOidcError } from "../shared/errors.ts";
import { sleep } from "../shared/sleep.ts";
import { acquireFileLock, withFileLock } from "./file_lock.ts";
import { tempDir } from "../tests/helpers/temp_dir.ts";

/** A sleep that must not be reached: the lock was expected on the first attempt. */
const noWaiting = () => Promise.reject(new Error("acquireFileLock() waited for a lock it should have taken at once"));

const lockOwner = async (path: string) => JSON.parse(await Deno.readTextFile(`${path}.lock`));

Deno.test("acquireFileLock() excludes a second holder until release, then lets it in", async () => {
  await using t = await tempDir("lock-");
  const path = join(t.path, "config");
  const order: string[] = [];
  const first = await acquireFileLock(path);
  let waiting!: () => void, release!: () => void;
  const secondWaits = new Promise<void>((r) => waiting = r);
  const firstReleased = new Promise<void>((r) => release = r);
  const second = withFileLock(path, () => Promise.resolve(void order.push("second")), {
    sleep: () => (waiting(), firstReleased), // each wait of the second lasts until the first let go
  });
  await secondWaits; // the second found the lock held and waits
  order.push("first done");
  await first.release();
  release();
  await second;
  assertEquals(order, ["first done", "second"]);
  await Deno.stat(path + ".lock").then(() => assert(false, "lock left behind"), () => {});
});

Deno.test("acquireFileLock() times out with an error naming the lock file and its owner", async () => {
  await using t = await tempDir("lock-");
  const path = join(t.path, "config");
  using _held = await acquireFileLock(path);
  const clock = fixedClock(new Date());
  const slept: number[] = [];
  const err = await assertRejects(
    () =>
      acquireFileLock(path, {
        timeoutMs: 15_000,
        what: "my file",
        clock,
        sleep: (ms) => Promise.resolve(void (slept.push(ms), clock.advance(ms))),
      }),
    (e) => isTalosOidcError(e, "ERR_TIMEOUT"),
  ) as { message: string; hint: string };
  assertMatch(err.message, /waiting for the lock on "my file"/);
  assertMatch(err.hint, new RegExp(`pid ${Deno.pid}.*config\\.lock`));
  // Polls start at 25 ms, grow by half to at most 200 ms, and the last one ends at the deadline.
  assertEquals(slept.slice(0, 5), [25, 38, 57, 86, 129]);
  assertEquals([Math.max(...slept), slept.reduce((a, b) => a + b)], [200, 15_000]);
});

Deno.test("acquireFileLock() breaks a lock whose owner process is gone", async () => {
  await using t = await tempDir("lock-");
  const path = join(t.path, "config");
  const dead = new Deno.Command("true").spawn();
  await dead.status;
  const info = { pid: dead.pid, host: Deno.hostname(), token: "x", created: Date.now() };
  await Deno.writeTextFile(path + ".lock", JSON.stringify(info));
  await using _lock = await acquireFileLock(path, { sleep: () => Promise.resolve() });
  assertEquals((await lockOwner(path)).pid, Deno.pid);
});

Deno.test("acquireFileLock() breaks a lock older than staleMs even if its owner looks alive", async () => {
  await using t = await tempDir("lock-");
  const path = join(t.path, "config");
  const clock = fixedClock(new Date("2031-01-01T00:00:00Z"));
  // pid 1 is alive, but on another host: only the age can make this lock stale.
  const old = { pid: 1, host: "elsewhere", token: "y", created: clock.now().getTime() - 1_001 };
  await Deno.writeTextFile(path + ".lock", JSON.stringify(old));
  const slept: number[] = [];
  const sleep = (ms: number) => Promise.resolve(void slept.push(ms));
  await using _lock = await acquireFileLock(path, { staleMs: 1_000, clock, sleep });
  const owner = await lockOwner(path);
  assertEquals([owner.pid, owner.host, owner.created], [Deno.pid, Deno.hostname(), clock.now().getTime()]);
  assert(owner.token !== "y", "the old lock's token is gone");
  assertEquals(slept, [25]); // broken on the first attempt, taken on the second
  await Deno.stat(path + ".lock.break").then(() => assert(false, "break lock left behind"), () => {});
});

Deno.test("acquireFileLock() leaves a lock alone that is younger than staleMs and whose owner looks alive", async () => {
  await using t = await tempDir("lock-");
  const path = join(t.path, "config");
  const clock = fixedClock(new Date("2031-01-01T00:00:00Z"));
  const young = { pid: 1, host: "elsewhere", token: "y", created: clock.now().getTime() - 999 };
  await Deno.writeTextFile(path + ".lock", JSON.stringify(young));
  await assertRejects(
    () => acquireFileLock(path, { staleMs: 1_000, timeoutMs: 0, clock, sleep: noWaiting }),
    (e) => isTalosOidcError(e, "ERR_TIMEOUT"),
  );
  assertEquals((await lockOwner(path)).token, "y");
});

Deno.test("acquireFileLock() stops waiting when its signal aborts, during a wait or before one", async () => {
  await using t = await tempDir("lock-");
  const path = join(t.path, "config");
  await using _held = await acquireFileLock(path);
  const interrupted = (e: unknown) => (e as Error).message === "interrupted";
  // Aborted while the real sleep waits (a minute between polls here): the wait ends at once.
  const during = new AbortController();
  const sleepThenAbort = (ms: number, signal?: AbortSignal) => {
    const waiting = sleep(ms, signal);
    during.abort(new Error("interrupted"));
    return waiting;
  };
  await assertRejects(
    () => acquireFileLock(path, { signal: during.signal, pollMs: 60_000, sleep: sleepThenAbort }),
    interrupted,
  );
  // Aborted before the first attempt: no attempt, no wait.
  const before = new AbortController();
  before.abort(new Error("interrupted"));
  await assertRejects(() => acquireFileLock(path, { signal: before.signal, sleep: noWaiting }), interrupted);
});
