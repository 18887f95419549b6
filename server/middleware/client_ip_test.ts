/** @module Tests for the client address middleware (XFF spoofing, trusted proxies, IPv6). */

import { Hono } from "hono";
import { assertEquals, assertThrows } from "../../tests/helpers/assert.ts";
import { clientIp, type ClientIpEnv, deriveClientIp } from "./client_ip.ts";
import { compileIpSet } from "./ip.ts";

function app(trustedProxies: string[]) {
  const a = new Hono<ClientIpEnv>();
  a.use(clientIp({ trustedProxies }));
  a.get("/", (c) => c.text(c.get("clientIp")));
  return async (peer: string, xff?: string) => {
    const headers: Record<string, string> = xff === undefined ? {} : { "x-forwarded-for": xff };
    const res = await a.request("/", { headers }, { remoteAddr: { hostname: peer, port: 5000, transport: "tcp" } });
    return res.text();
  };
}

Deno.test("clientIp() uses the TCP peer and ignores a spoofed X-Forwarded-For without trusted proxies", async () => {
  const get = app([]);
  assertEquals(await get("203.0.113.9"), "203.0.113.9");
  assertEquals(await get("203.0.113.9", "1.2.3.4"), "203.0.113.9");
});

Deno.test("clientIp() ignores X-Forwarded-For from a peer that is not a trusted proxy", async () => {
  assertEquals(await app(["10.0.0.0/8"])("203.0.113.9", "10.0.0.1, 1.2.3.4"), "203.0.113.9");
});

Deno.test("clientIp() reads X-Forwarded-For right to left from a trusted proxy", async () => {
  const get = app(["10.0.0.0/8"]);
  assertEquals(await get("10.0.0.3", "198.51.100.7"), "198.51.100.7");
  assertEquals(await get("10.0.0.3", "1.1.1.1, 192.168.1.100, 10.0.0.2, 10.0.0.3"), "192.168.1.100");
  assertEquals(await get("10.0.0.3", "6.6.6.6, 198.51.100.7"), "198.51.100.7");
});

Deno.test("clientIp() uses the peer when a trusted proxy sends no X-Forwarded-For", async () => {
  assertEquals(await app(["10.0.0.0/8"])("10.0.0.3"), "10.0.0.3");
  assertEquals(await app(["10.0.0.0/8"])("10.0.0.3", " , "), "10.0.0.3");
});

Deno.test("clientIp() takes the leftmost entry when every hop is trusted", async () => {
  assertEquals(await app(["10.0.0.0/8"])("10.0.0.3", "10.9.9.9, 10.0.0.2"), "10.9.9.9");
});

Deno.test("clientIp() handles IPv6 peers, proxies and clients in canonical form", async () => {
  const get = app(["2001:db8:aaaa::/48", "::1"]);
  assertEquals(await get("2001:db8:aaaa::5", "2001:DB8:0:0:0:0:0:7"), "2001:db8::7");
  assertEquals(await get("::1", "[2001:db8::9]"), "2001:db8::9");
  assertEquals(await get("2001:db8:bbbb::5", "198.51.100.7"), "2001:db8:bbbb::5");
});

Deno.test("clientIp() treats IPv4-mapped peers and entries as IPv4", async () => {
  const get = app(["10.0.0.0/8"]);
  assertEquals(await get("::ffff:10.0.0.3", "::ffff:198.51.100.7"), "198.51.100.7");
  assertEquals(await app([])("::ffff:127.0.0.1"), "127.0.0.1");
});

Deno.test("clientIp() returns a garbage entry sanitised so the allowlist refuses it", () => {
  const trusted = compileIpSet(["10.0.0.0/8"], "t");
  assertEquals(deriveClientIp("10.0.0.1", "1.2.3.4, evil\nhost name", trusted), "evil?host?name");
  assertEquals(deriveClientIp(undefined, "1.2.3.4", trusted), "unknown");
});

Deno.test("clientIp() examines at most maxHops entries", () => {
  const trusted = compileIpSet(["10.0.0.0/8"], "t");
  const chain = ["198.51.100.7", ...Array.from({ length: 40 }, (_, i) => `10.0.0.${i + 1}`)].join(",");
  assertEquals(deriveClientIp("10.0.0.1", chain, trusted, 32), "10.0.0.9");
});

Deno.test("clientIp() refuses invalid trusted proxy entries when built", () => {
  assertThrows(() => clientIp({ trustedProxies: ["10.0.0.0/8", "proxy.local"] }), (e) => e instanceof RangeError);
  assertThrows(() => clientIp({ maxHops: 0 }), (e) => e instanceof RangeError);
});
