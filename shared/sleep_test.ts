/** @module Tests of the abortable sleep: it ends, and an abort (before or during) ends it at once with its reason. */

import { assertEquals, assertRejects } from "../tests/helpers/assert.ts";
import { sleep } from "./sleep.ts";

/** What `p` has done by the next macrotask: "resolved", the rejection's message, or "pending". */
function settledBy(p: Promise<void>): Promise<string> {
  const later = new Promise<string>((r) => setTimeout(() => r("pending"), 0));
  return Promise.race([p.then(() => "resolved", (e: Error) => e.message), later]);
}

Deno.test("sleep() resolves once its time has passed", async () => {
  await sleep(1);
  await sleep(1, new AbortController().signal);
});

Deno.test("sleep() with a signal that has already aborted rejects at once, and starts no timer", async () => {
  const ac = new AbortController();
  ac.abort(new Error("interrupted"));
  assertEquals(await settledBy(sleep(60_000, ac.signal)), "interrupted"); // a timer left behind fails the sanitizer
});

Deno.test("sleep() rejects with the signal's reason as soon as it aborts, and clears its timer", async () => {
  const ac = new AbortController();
  const waiting = sleep(60_000, ac.signal);
  ac.abort(new Error("interrupted"));
  await assertRejects(() => waiting, (e) => (e as Error).message === "interrupted");
});
