/** @module A crafted group name through a real exchange: tokens signed by the real IdP's keys, roles read from the certificate. */

import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import { assertEquals } from "./helpers/assert.ts";
import { startTestIdp } from "./helpers/idp.ts";
import { asExchangeResponse, createTestApp } from "./helpers/server.ts";

const RULES = [{ claim: "groups", value: "talos-admins", roles: ["os:admin"] }];

/** Subject O values of an issued certificate (the roles apid reads). */
function rolesOf(certPem: string): string[] {
  return new x509.X509Certificate(certPem).subjectName.getField("O");
}

Deno.test('exchange: a group named "not talos-admins" or "x\\ntalos-admins" is refused, the real group is os:admin', async () => {
  await using idp = await startTestIdp();
  await using app = await createTestApp({ idp, config: { roles: [], rbac: { rules: RULES } } });
  for (const groups of [["not talos-admins"], ["x\ntalos-admins"], ["x talos-admins", "talos-admins-old"]]) {
    const res = await app.exchange({ id_token: await idp.mint({ sub: "mallory", groups }) });
    assertEquals(res.status, 403, JSON.stringify(groups));
    assertEquals((await res.json()).error, "no roles assigned - user does not match any RBAC rules");
  }
  const ok = await app.exchange({ id_token: await idp.mint({ groups: ["devs", "talos-admins"] }) });
  assertEquals(ok.status, 200);
  assertEquals(rolesOf(asExchangeResponse(await ok.json()).cert), ["os:admin"]);
  assertEquals(app.audit.filter((e) => e.type === "rbac_denied").length, 3);
});

Deno.test("exchange: a space-separated string claim is split only when the rule says split: true", async () => {
  await using idp = await startTestIdp();
  const rules = [
    { claim: "groups", value: "talos-admins", roles: ["os:admin"] },
    { claim: "teams", value: "talos-readers", roles: ["os:reader"], split: true },
  ];
  await using app = await createTestApp({ idp, config: { roles: [], rbac: { rules } } });
  const denied = await app.exchange({ id_token: await idp.mint({ groups: "a talos-admins" }) });
  assertEquals(denied.status, 403);
  const token = await idp.mint({ groups: "a talos-admins", teams: "x talos-readers" });
  const res = await app.exchange({ id_token: token });
  assertEquals(res.status, 200);
  assertEquals(rolesOf(asExchangeResponse(await res.json()).cert), ["os:reader"]);
});
