/**
 * @module Fault: slow and stalled clients against the real app on the real listener (short limits, as the listener
 * allows tests): slowloris on headers and body and idle keep-alive sockets. Asserts counts and state, no timings.
 */

import { createApp } from "../server/app.ts";
import { startListener } from "../server/http1/listener.ts";
import { nullLogger } from "../shared/log.ts";
import { assert, assertEquals } from "./helpers/assert.ts";
import { startTestIdp } from "./helpers/idp.ts";
import { createTestApp } from "./helpers/server.ts";
import { openSlowClients } from "./soak/slow_clients.ts";

const MAX_CONNECTIONS = 64;

/**
 * Connections the server holds open on `port` (the kernel's table, /proc/net/tcp): its side ESTABLISHED or
 * CLOSE_WAIT (the peer left, the server has not closed yet). Each one is a socket and its buffers in the server.
 */
async function serverHeld(port: number): Promise<number> {
  const hex = port.toString(16).toUpperCase().padStart(4, "0");
  const rows = (await Deno.readTextFile("/proc/net/tcp")).split("\n").slice(1).map((l) => l.trim().split(/\s+/));
  return rows.filter((r) => r[1]?.endsWith(`:${hex}`) && (r[3] === "01" || r[3] === "08")).length;
}

Deno.test("slow clients: served clients get answers, max_connections holds, each slow socket is cut at its limit, nothing stays open", async () => {
  await using idp = await startTestIdp();
  await using t = await createTestApp({ idp, config: { rate_limit_requests: 0 } });
  await t.deps.verifier.warmUp();
  const app = createApp(t.deps);
  const listener = await startListener({
    hostname: "127.0.0.1",
    port: 0,
    tls: t.deps.tls,
    logger: nullLogger,
    handler: (req, info) => app.fetch(req, info),
    maxConnections: MAX_CONNECTIONS,
    timeouts: { headersMs: 4_000, requestMs: 5_000, keepAliveMs: 4_500 },
  });
  const caPem = t.deps.tls.caPem()!;
  const port = listener.addr.port;
  const opened: { close(): void }[] = [];
  try {
    const slow = await openSlowClients(port, caPem, { headers: 20, body: 20, idle: 20 }, { dripMs: 100 });
    opened.push(slow);
    assertEquals(slow.sockets.filter((s) => s.failed), [], "60 slow sockets under a limit of 64: all accepted");
    assertEquals(await serverHeld(port), 60);

    // max_connections holds: of 10 more connections, only the room left (64 - 60) gets an answer.
    const extra = await openSlowClients(port, caPem, { headers: 0, body: 0, idle: 10 });
    opened.push(extra);
    await extra.settled(1_000);
    const answered = extra.sockets.filter((s) => s.firstLine === "HTTP/1.1 200 OK").length;
    assert(answered <= MAX_CONNECTIONS - 60, `${answered} of 10 over the limit were served`);
    assert(answered < 10, "the limit let every extra connection in");
    assert(await serverHeld(port) <= MAX_CONNECTIONS, `${await serverHeld(port)} connections held`);
    extra.close();
    // Until the server has seen those leave, it is still full: a served client would be turned away.
    for (let i = 0; (await serverHeld(port)) > 60; i++) {
      assert(i < 100, "the server never let go of the extra connections");
      await new Promise((r) => setTimeout(r, 50));
    }

    // A served client meanwhile: every exchange answered, over one keep-alive connection.
    using client = Deno.createHttpClient({ caCerts: [caPem] });
    const token = await idp.mint({ email: "alice@example.com" });
    for (let i = 0; i < 20; i++) {
      const res = await fetch(`https://127.0.0.1:${port}/exchange`, {
        method: "POST",
        body: JSON.stringify({ id_token: token }),
        client,
      });
      assertEquals(res.status, 200);
      await res.body?.cancel();
    }

    // Each slow socket is cut by the server at its own limit: 408 for a request that never completed.
    await slow.settled(20_000);
    for (const s of slow.sockets) {
      assert(s.closedAt !== undefined, `a ${s.kind} socket is still open`);
      const expected = s.kind === "idle" ? "HTTP/1.1 200 OK" : "HTTP/1.1 408 Request Timeout";
      assertEquals([s.kind, s.firstLine], [s.kind, expected]);
    }
    slow.close();
    // Nothing held on to: the server has closed every slow socket (the served client's may stay until it leaves).
    assert(await serverHeld(port) <= 1, `${await serverHeld(port)} connections still held`);
  } finally {
    for (const o of opened) o.close(); // a failed assertion must not leave the shutdown waiting on slow requests
    listener.closeAll();
    await listener.shutdown();
  }
});
