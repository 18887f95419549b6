/** @module Tests for IP/CIDR parsing, formatting and membership. */

import { assert, assertEquals, assertThrows } from "../../tests/helpers/assert.ts";
import { clientKey, compileIpSet, normaliseIp, parseCidr, parseIp } from "./ip.ts";

Deno.test("normaliseIp() accepts IPv4 dotted quads and refuses malformed ones", () => {
  assertEquals(normaliseIp("192.168.1.10"), "192.168.1.10");
  assertEquals(normaliseIp(" 10.0.0.1 "), "10.0.0.1");
  for (const bad of ["256.1.1.1", "1.2.3", "1.2.3.4.5", "01.2.3.4", "1.2.3.-4", "a.b.c.d", "", "1.2.3.4 5"]) {
    assertEquals(normaliseIp(bad), undefined, bad);
  }
});

Deno.test("normaliseIp() canonicalises IPv6 per RFC 5952", () => {
  assertEquals(normaliseIp("2001:0DB8:0000:0000:0000:0000:0000:0001"), "2001:db8::1");
  assertEquals(normaliseIp("::1"), "::1");
  assertEquals(normaliseIp("::"), "::");
  assertEquals(normaliseIp("[2001:db8::1]"), "2001:db8::1");
  assertEquals(normaliseIp("2001:db8:0:1:0:0:0:1"), "2001:db8:0:1::1");
  assertEquals(normaliseIp("2001:db8:0:0:1:0:0:1"), "2001:db8::1:0:0:1");
  assertEquals(normaliseIp("2001:db8:0:1:1:1:1:1"), "2001:db8:0:1:1:1:1:1");
  assertEquals(normaliseIp("fe80::"), "fe80::");
  assertEquals(normaliseIp("64:ff9b::192.0.2.33"), "64:ff9b::c000:221");
});

Deno.test("normaliseIp() refuses zones and malformed IPv6", () => {
  for (
    const bad of [
      "fe80::1%eth0",
      "fe80::1%25eth0",
      "1::2::3",
      "1:2:3:4:5:6:7:8:9",
      "1:2:3:4:5:6:7",
      "12345::",
      ":::",
      "g::1",
      "1.2.3.4::",
      "::1.2.3",
      "[::1",
    ]
  ) {
    assertEquals(normaliseIp(bad), undefined, bad);
  }
  assertEquals(normaliseIp("1:2:3:4:5:6:7::"), "1:2:3:4:5:6:7:0");
});

Deno.test("normaliseIp() maps IPv4-mapped IPv6 to the dotted quad", () => {
  assertEquals(normaliseIp("::ffff:10.1.2.3"), "10.1.2.3");
  assertEquals(normaliseIp("::FFFF:0a01:0203"), "10.1.2.3");
  assert(parseIp("::ffff:10.1.2.3")!.v4);
  assertEquals(normaliseIp("::10.1.2.3"), "::a01:203");
});

Deno.test("parseCidr() accepts bare IPs and masks host bits", () => {
  assertEquals(parseCidr("10.1.2.3")!.bits, 128);
  assertEquals(parseCidr("10.1.2.3/8")!.bits, 104);
  assertEquals([...parseCidr("10.1.2.3/8")!.base.bytes.slice(12)], [10, 0, 0, 0]);
  assertEquals(parseCidr("2001:db8::/32")!.bits, 32);
  for (
    const bad of ["10.0.0.0/33", "2001:db8::/129", "10.0.0.0/", "10.0.0.0/08", "10.0.0.0/8/8", "x/8", "fe80::%1/64"]
  ) {
    assertEquals(parseCidr(bad), undefined, bad);
  }
});

Deno.test("compileIpSet() matches IPv4, IPv6 and v4-mapped forms", () => {
  const set = compileIpSet(["10.0.0.0/8", "192.168.1.7", "2001:db8::/32", "::1", " "], "trusted_proxies");
  assertEquals(set.size, 4);
  assert(set.has("10.200.3.4"));
  assert(set.has("::ffff:10.200.3.4"));
  assert(!set.has("11.0.0.1"));
  assert(set.has("192.168.1.7") && !set.has("192.168.1.8"));
  assert(set.has("2001:db8:ffff::1") && !set.has("2001:db9::1"));
  assert(set.has("0:0:0:0:0:0:0:1"));
  assert(!set.has("not an ip") && !set.has(""));
});

Deno.test("compileIpSet() keeps IPv4 and IPv6 networks apart", () => {
  const v6all = compileIpSet(["::/0"], "x");
  assert(v6all.has("2001:db8::1") && !v6all.has("10.0.0.1"));
  const v4all = compileIpSet(["0.0.0.0/0"], "x");
  assert(v4all.has("10.0.0.1") && !v4all.has("2001:db8::1"));
  assert(compileIpSet(["::ffff:0:0/96"], "x").has("8.8.8.8"));
});

Deno.test("compileIpSet() throws RangeError naming every bad entry", () => {
  const err = assertThrows(() => compileIpSet(["10.0.0.0/8", "nope", "1.2.3.4/40"], "ip_allowlist"));
  assert(err instanceof RangeError);
  assertEquals(err.message, 'ip_allowlist: not an IP address or CIDR: "nope", "1.2.3.4/40"');
});

Deno.test("clientKey() counts IPv6 clients by /64 and IPv4 clients by address", () => {
  assertEquals(clientKey("2001:db8:1:2:aaaa::1"), "2001:db8:1:2::/64");
  assertEquals(clientKey("2001:db8:1:2:bbbb::9"), "2001:db8:1:2::/64");
  assertEquals(clientKey("::ffff:10.0.0.1"), "10.0.0.1");
  assertEquals(clientKey("garbage"), "garbage");
});
