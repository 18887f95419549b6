/**
 * @module Over real TLS with the default config: a forged-token flood is rate-limited and audited as a few counted
 * lines, the dashboard still lists other failures, and a team signing in behind one address is not limited.
 */

import { assert, assertEquals } from "./helpers/assert.ts";
import { startTestIdp } from "./helpers/idp.ts";
import { startTestServer, type TestServer } from "./helpers/server.ts";

const ADMIN = "flood-test-admin-token-0123456789abcdef";

async function post(server: TestServer, idToken: string, xff?: string): Promise<number> {
  const res = await fetch(`${server.url}/exchange`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(xff ? { "x-forwarded-for": xff } : {}) },
    body: JSON.stringify({ id_token: idToken }),
    client: server.client,
  });
  await res.body?.cancel();
  return res.status;
}

Deno.test("a flood of 400 forged tokens from one address: 300 answered, the rest 429, two auth_failure lines", async () => {
  await using idp = await startTestIdp();
  const server = await startTestServer({ idp, config: { admin_token: ADMIN, trusted_proxies: ["127.0.0.1"] } });
  try {
    const forged = (await idp.mint({ sub: "mallory" })).replace(/.{8}$/, "AAAAAAAA"); // signature broken
    const statuses: number[] = [];
    for (let i = 0; i < 40; i++) {
      statuses.push(...await Promise.all(Array.from({ length: 10 }, () => post(server, forged, "203.0.113.66"))));
    }
    assertEquals([statuses.filter((s) => s === 401).length, statuses.filter((s) => s === 429).length], [300, 100]);
    assertEquals(await post(server, "also-forged", "198.51.100.7"), 401, "another address is not limited");

    const stats = await (await fetch(`${server.url}/admin/stats`, {
      headers: { authorization: `Bearer ${ADMIN}` },
      client: server.client,
    })).json();
    const listed = stats.recent_failures.map((f: { client_ip: string }) => f.client_ip);
    assert(listed.includes("198.51.100.7"), "the other address's failure is still on the dashboard");
    assertEquals(listed.filter((ip: string) => ip === "203.0.113.66").length, 1, "the flood is one row");
  } finally {
    await server.close(); // writes the open window's count
  }
  const failures = server.audit.filter((e) => e.type === "auth_failure" && e.client_ip === "203.0.113.66");
  assertEquals(failures.map((e) => [e.reason, e.count]), [["bad_signature", undefined], ["bad_signature", 299]]);
  assertEquals(server.audit.filter((e) => e.type === "rate_limited").length, 1);
});

Deno.test("100 people signing in behind one NAT address within a minute are not rate-limited by default", async () => {
  await using idp = await startTestIdp();
  await using server = await startTestServer({ idp });
  const tokens = await Promise.all(Array.from({ length: 100 }, (_, i) => idp.mint({ sub: `user-${i}` })));
  const statuses = await Promise.all(tokens.map((t) => post(server, t)));
  assertEquals(statuses.filter((s) => s === 200).length, 100);
  assertEquals(server.audit.filter((e) => e.type === "cert_issued").length, 100, "one audit line per certificate");
});
