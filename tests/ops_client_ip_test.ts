/** @module Over real TLS: the client address with and without trusted proxies, IPv6, allowlist, audit log. */

import { assertEquals } from "./helpers/assert.ts";
import { startTestIdp, type TestIdp } from "./helpers/idp.ts";
import { startTestServer, type TestServer } from "./helpers/server.ts";

async function post(server: TestServer, idp: TestIdp, xff?: string): Promise<Response> {
  const res = await fetch(`${server.url}/exchange`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(xff ? { "x-forwarded-for": xff } : {}) },
    body: JSON.stringify({ id_token: await idp.mint({ email: "alice@example.com", email_verified: true }) }),
    client: server.client,
  });
  await res.body?.cancel();
  return res;
}

const issuedTo = (s: TestServer) => s.audit.filter((e) => e.type === "cert_issued").map((e) => e.client_ip);

Deno.test("without trusted proxies a spoofed X-Forwarded-For changes nothing for audit or allowlist", async () => {
  await using idp = await startTestIdp();
  await using server = await startTestServer({ idp, config: { ip_allowlist: ["127.0.0.1"] } });
  assertEquals((await post(server, idp, "203.0.113.9")).status, 200);
  assertEquals(issuedTo(server), ["127.0.0.1"]);
  await using strict = await startTestServer({ idp, config: { ip_allowlist: ["203.0.113.0/24"] } });
  const res = await post(strict, idp, "203.0.113.9");
  assertEquals(res.status, 403);
  assertEquals(strict.audit.filter((e) => e.type === "ip_denied").map((e) => e.client_ip), ["127.0.0.1"]);
});

Deno.test("behind a trusted proxy X-Forwarded-For is read right to left, skipping trusted hops", async () => {
  await using idp = await startTestIdp();
  await using server = await startTestServer({
    idp,
    config: { trusted_proxies: ["127.0.0.1", "10.0.0.0/8"], ip_allowlist: ["198.51.100.0/24"] },
  });
  assertEquals((await post(server, idp, "6.6.6.6, 198.51.100.7, 10.1.2.3")).status, 200);
  assertEquals(issuedTo(server), ["198.51.100.7"]);
  assertEquals(
    (await post(server, idp, "198.51.100.7, 203.0.113.66")).status,
    403,
    "the nearest untrusted hop decides",
  );
  const denied = server.audit.filter((e) => e.type === "ip_denied");
  assertEquals(denied.map((e) => [e.client_ip, typeof e["request.id"]]), [["203.0.113.66", "string"]]);
});

Deno.test("IPv6 clients behind a trusted proxy are canonical in the audit log and matched by IPv6 CIDRs", async () => {
  await using idp = await startTestIdp();
  await using server = await startTestServer({
    idp,
    config: { trusted_proxies: ["127.0.0.1"], ip_allowlist: ["2001:db8::/32", "::ffff:192.0.2.0/120"] },
  });
  assertEquals((await post(server, idp, "2001:DB8:0:0:0:0:0:7")).status, 200);
  assertEquals((await post(server, idp, "[2001:db8::8]")).status, 200);
  assertEquals((await post(server, idp, "::ffff:192.0.2.10")).status, 200);
  assertEquals((await post(server, idp, "2001:db9::1")).status, 403);
  assertEquals((await post(server, idp, "fe80::1%eth0")).status, 403, "zones are not addresses");
  assertEquals(issuedTo(server), ["2001:db8::7", "2001:db8::8", "192.0.2.10"]);
});
