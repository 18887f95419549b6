/** @module Tests for the advisory lock file. */

import { join } from "node:path";
import { assert, assertEquals, assertMatch, assertRejects } from "../tests/helpers/assert.ts";
import { isTalosOidcError } from "../shared/errors.ts";
import { acquireFileLock, withFileLock } from "./file_lock.ts";

async function tempDir(): Promise<{ dir: string } & AsyncDisposable> {
  const dir = await Deno.makeTempDir({ prefix: "lock-" });
  return { dir, [Symbol.asyncDispose]: () => Deno.remove(dir, { recursive: true }) };
}

Deno.test("acquireFileLock() excludes a second holder until release, then lets it in", async () => {
  await using t = await tempDir();
  const path = join(t.dir, "config");
  const order: string[] = [];
  const first = await acquireFileLock(path);
  const second = withFileLock(path, () => Promise.resolve(void order.push("second")), { timeoutMs: 5_000 });
  await new Promise((r) => setTimeout(r, 50));
  order.push("first done");
  await first.release();
  await second;
  assertEquals(order, ["first done", "second"]);
  await Deno.stat(path + ".lock").then(() => assert(false, "lock left behind"), () => {});
});

Deno.test("acquireFileLock() times out with an error naming the lock file and its owner", async () => {
  await using t = await tempDir();
  const path = join(t.dir, "config");
  using _held = await acquireFileLock(path);
  const err = await assertRejects(
    () => acquireFileLock(path, { timeoutMs: 80, what: "my file" }),
    (e) => isTalosOidcError(e, "ERR_TIMEOUT"),
  ) as { message: string; hint: string };
  assertMatch(err.message, /waiting for the lock on "my file"/);
  assertMatch(err.hint, new RegExp(`pid ${Deno.pid}.*config\\.lock`));
});

Deno.test("acquireFileLock() breaks a lock whose owner process is gone", async () => {
  await using t = await tempDir();
  const path = join(t.dir, "config");
  const dead = new Deno.Command("true").spawn();
  await dead.status;
  const info = { pid: dead.pid, host: (await import("node:os")).hostname(), token: "x", created: Date.now() };
  await Deno.writeTextFile(path + ".lock", JSON.stringify(info));
  await using _lock = await acquireFileLock(path, { timeoutMs: 2_000 });
  assert(JSON.parse(await Deno.readTextFile(path + ".lock")).pid === Deno.pid);
});

Deno.test("acquireFileLock() breaks a lock older than staleMs even if its owner looks alive", async () => {
  await using t = await tempDir();
  const path = join(t.dir, "config");
  await Deno.writeTextFile(path + ".lock", JSON.stringify({ pid: 1, host: "elsewhere", token: "y", created: 0 }));
  await using _lock = await acquireFileLock(path, { timeoutMs: 2_000, staleMs: 1_000 });
});

Deno.test("acquireFileLock() stops waiting when its signal aborts", async () => {
  await using t = await tempDir();
  const path = join(t.dir, "config");
  await using _held = await acquireFileLock(path);
  const ac = new AbortController();
  setTimeout(() => ac.abort(new Error("interrupted")), 30);
  await assertRejects(
    () => acquireFileLock(path, { signal: ac.signal }),
    (e) => (e as Error).message === "interrupted",
  );
});
