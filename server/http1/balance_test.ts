/**
 * @module Connection balance across the loops of one port: the share rule on shared counters, and a real listener
 * holding more than its share closing one keep-alive connection after an answer (`connection: close`), then no more.
 */

import { assertEquals } from "../../tests/helpers/assert.ts";
import { plainListener } from "../../tests/helpers/listener.ts";
import { balanceBuffer, balancer } from "./balance.ts";

Deno.test("a loop sheds only above its share plus one, at most once per gap, seen from every loop's counters", () => {
  const buffer = balanceBuffer(2);
  let t = 0;
  const a = balancer({ buffer, index: 0 }, () => t), b = balancer({ buffer, index: 1 }, () => t);
  for (let i = 0; i < 4; i++) a.opened();
  b.opened();
  assertEquals([a.shed(), b.shed()], [false, false], "4 of 5: at most ceil(5/2) + 1");
  a.opened();
  assertEquals(a.shed(), true, "5 of 6 is over 3 + 1");
  assertEquals(a.shed(), false, "not again within the gap");
  t += 60;
  assertEquals([a.shed(), b.shed()], [true, false]);
  a.closed(), a.closed();
  t += 60;
  assertEquals(a.shed(), false, "3 of 4 is within the share");
});

Deno.test("a listener over its share answers one keep-alive request with connection: close, then keeps the rest", async () => {
  // Slot 1 is another loop on the port with no connections: four here is two over the share of two (plus one).
  const buffer = balanceBuffer(2);
  const listener = await plainListener(() => new Response("ok"), { balance: { buffer, index: 0 } });
  const conns = await Promise.all(Array.from({ length: 4 }, () => Deno.connect({ port: listener.addr.port })));
  const ask = async (c: Deno.Conn) => {
    await c.write(new TextEncoder().encode("GET / HTTP/1.1\r\nhost: x\r\n\r\n"));
    const buf = new Uint8Array(1024);
    const n = await c.read(buf);
    return new TextDecoder().decode(buf.subarray(0, n ?? 0)).toLowerCase();
  };
  try {
    const first: string[] = [];
    for (const c of conns) first.push(await ask(c)); // one at a time: all four are open before the first answer
    assertEquals(first.filter((a) => a.includes("connection: close")).length, 1, first.join("\n"));
    const kept = conns.filter((_, i) => !first[i]!.includes("connection: close"));
    await new Promise((r) => setTimeout(r, 80)); // past the gap: three of three is within the share, none closes
    const again = await Promise.all(kept.map(ask));
    assertEquals(again.filter((a) => a.includes("connection: close")).length, 0, again.join("\n"));
  } finally {
    for (const c of conns) c.close();
    listener.closeAll();
    await listener.shutdown();
  }
});
