/** @module Tests for the owner/worker channel over a real MessageChannel: order, answers, coded errors, bad messages. */

import { assert, assertEquals, assertRejects } from "../../tests/helpers/assert.ts";
import { isTalosOidcError, TalosOidcError } from "../../shared/errors.ts";
import { createChannel, type Pipe } from "./channel.ts";

function pair() {
  const { port1, port2 } = new MessageChannel();
  const a = createChannel(port1 as unknown as Pipe), b = createChannel(port2 as unknown as Pipe);
  return { a, b, [Symbol.dispose]: () => (port1.close(), port2.close()) };
}

Deno.test("createChannel() handles notes and calls in the order they were sent, sync and async answers alike", async () => {
  using p = pair();
  const seen: string[] = [];
  p.b.serve({
    note: (x: string) => void seen.push(`note ${x}`),
    now: (x: string) => (seen.push(`call ${x}`), x.toUpperCase()),
    later: async (x: string) => (seen.push(`async ${x}`), await Promise.resolve(), `${x}!`),
  });
  p.a.note("note", "1");
  const r = [p.a.call("now", "a"), p.a.call("later", "b")];
  p.a.note("note", "2");
  assertEquals(await Promise.all(r), ["A", "b!"]);
  assertEquals(seen, ["note 1", "call a", "async b", "note 2"]);
});

Deno.test("createChannel() carries a coded error across with its code, hint and fields; others as plain errors", async () => {
  using p = pair();
  p.b.serve({
    coded: () => {
      throw new TalosOidcError("ERR_STATE_STORE", "store down", { hint: "wait", fields: { retryAfterSeconds: 5 } });
    },
    plain: () => Promise.reject(new RangeError("nope")),
  });
  const err = await p.a.call("coded").catch((e) => e);
  assert(isTalosOidcError(err, "ERR_STATE_STORE"));
  assertEquals([err.message, err.hint, err.fields?.retryAfterSeconds, err.status], ["store down", "wait", 5, 503]);
  await assertRejects(() => p.a.call("plain"), (e) => e instanceof Error && e.message.includes("nope"));
  await assertRejects(() => p.a.call("missing"), (e) => e instanceof Error && e.message.includes("no handler"));
});

Deno.test("createChannel() fails only the message that cannot be cloned, and every waiting call on close()", async () => {
  using p = pair();
  p.b.serve({ echo: (x: unknown) => x });
  const bad = p.a.call("echo", () => "a function cannot cross threads");
  const good = p.a.call("echo", 42);
  await assertRejects(() => bad, (e) => e instanceof TypeError && e.message.includes("cannot send echo"));
  assertEquals(await good, 42);
  p.b.serve({ never: () => new Promise(() => {}) });
  const waiting = p.a.call("never");
  p.a.close(new Error("worker gone"));
  await assertRejects(() => waiting, (e) => e instanceof Error && e.message.includes("worker gone"));
  await assertRejects(() => p.a.call("echo", 1), (e) => e instanceof Error && e.message.includes("worker gone"));
});
