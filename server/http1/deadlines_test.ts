/** @module The listener's connection deadlines against a stepped wall clock (Date moved in this process). */

import { assert, assertEquals } from "../../tests/helpers/assert.ts";
import { firstLine, plainListener } from "../../tests/helpers/listener.ts";

/** Move `Date` (Date.now() and new Date()) `offset()` ms off the real clock until the returned function restores it. */
function stepWallClock(offset: () => number): () => void {
  const Real = Date;
  class Stepped extends Real {
    constructor(...args: unknown[]) {
      super(...((args.length === 0 ? [Real.now() + offset()] : args) as [string]));
    }
    static override now(): number {
      return Real.now() + offset();
    }
  }
  globalThis.Date = Stepped as DateConstructor;
  return () => void (globalThis.Date = Real);
}

Deno.test("startListener() deadlines run on monotonic time: a wall-clock step neither closes live connections nor spares a slowloris", async () => {
  const listener = await plainListener(() => new Response("ok"), {
    timeouts: { headersMs: 250, requestMs: 600, keepAliveMs: 3_000 },
  });
  const enc = new TextEncoder(), port = listener.addr.port;
  let offset = 0;
  const restore = stepWallClock(() => offset);
  try {
    // +5 min after a request: the keep-alive connection has 3 s left, and keeps them.
    const kept = await Deno.connect({ hostname: "127.0.0.1", port });
    await kept.write(enc.encode("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
    assertEquals(await firstLine(kept), "HTTP/1.1 200 OK");
    offset = 5 * 60_000;
    await new Promise((r) => setTimeout(r, 600)); // several sweeps (every 125 ms)
    await kept.write(enc.encode("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
    assertEquals(await firstLine(kept), "HTTP/1.1 200 OK", "the keep-alive connection was closed by a clock step");
    kept.close();

    // -5 min while a head trickles in: still 408 at its 250 ms limit, not 5 minutes later.
    offset = 0;
    const slow = await Deno.connect({ hostname: "127.0.0.1", port });
    await slow.write(enc.encode("GET / HTTP/1.1\r\nHost: x\r\nX-Slow: "));
    offset = -5 * 60_000;
    const started = performance.now();
    const drip = setInterval(() => void slow.write(enc.encode("a")).catch(() => {}), 50);
    const line = await Promise.race([
      firstLine(slow),
      new Promise<string>((r) => setTimeout(() => r("still open after 5 s"), 5_000)),
    ]);
    clearInterval(drip);
    slow.close();
    assertEquals(line, "HTTP/1.1 408 Request Timeout");
    assert(performance.now() - started < 5_000, `held ${Math.round(performance.now() - started)} ms`);
  } finally {
    restore();
    await listener.shutdown();
  }
});
