/** @module Access tokens and over-long tokens through a real exchange: 401, and the reason only in the audit log. */

import { assertEquals } from "./helpers/assert.ts";
import { startTestIdp } from "./helpers/idp.ts";
import { createTestApp, writeFailureCounts } from "./helpers/server.ts";

Deno.test("exchange refuses a Keycloak-style access token signed by the IdP, auditing reason not_id_token", async () => {
  await using idp = await startTestIdp();
  await using app = await createTestApp({ idp });
  const tokens = [
    await idp.mint({ typ: "Bearer", scope: "openid email", aud: [idp.clientId, "account"], azp: idp.clientId }),
    await idp.mint({}, { header: { typ: "application/at+jwt " } }),
    await idp.mint({ client_id: idp.clientId }),
  ];
  for (const id_token of tokens) {
    const res = await app.exchange({ id_token });
    assertEquals([res.status, (await res.json()).error], [401, "invalid token"]);
  }
  await writeFailureCounts(app);
  const failures = app.audit.filter((e) => e.type === "auth_failure");
  assertEquals(failures.map((e) => [e.reason, e.count ?? 1]), [["not_id_token", 1], ["not_id_token", 2]]);
  assertEquals(app.audit.filter((e) => e.type === "cert_issued").length, 0);
});

Deno.test("exchange refuses a token living longer than max_token_age, and accepts one right at it", async () => {
  await using idp = await startTestIdp();
  await using app = await createTestApp({ idp, config: { max_token_age: "1h" } });
  const now = Math.floor(Date.now() / 1000);
  const long = await app.exchange({ id_token: await idp.mint({ iat: now - 60, exp: now - 60 + 3601 }) });
  assertEquals(long.status, 401);
  const ancient = await app.exchange({ id_token: await idp.mint({ iat: now - 10 * 365 * 86400, exp: 1e12 }) });
  assertEquals(ancient.status, 401);
  const fine = await app.exchange({ id_token: await idp.mint({ iat: now - 60, exp: now - 60 + 3600 }) });
  assertEquals(fine.status, 200);
  await writeFailureCounts(app);
  const failures = app.audit.filter((e) => e.type === "auth_failure");
  assertEquals(failures.map((e) => [e.reason, e.count ?? 1]), [["lifetime_too_long", 1], ["lifetime_too_long", 1]]);
});
