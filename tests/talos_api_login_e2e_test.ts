/**
 * @module The whole flow with the talos_api backend: `login` (subprocess, scripted browser, real IdP) → /exchange
 * through a real gRPC Talos API stand-in → talosconfig → mutual TLS to the apid stand-in with the right roles.
 */

import { join } from "node:path";
import { decodeBase64Pem } from "../client/talosconfig/cert.ts";
import { getContext, readTalosconfig } from "../client/talosconfig/read.ts";
import { callApid, startFakeApid } from "./helpers/apid.ts";
import { assertEquals, assertMatch, assertStringIncludes } from "./helpers/assert.ts";
import { browserCommand, makeHome, runCli } from "./helpers/cli.ts";
import { startTestIdp } from "./helpers/idp.ts";
import { USERS_RBAC } from "./helpers/idp_users.ts";
import { startTalosApiServer } from "./helpers/talos_api_server.ts";

const RBAC = { roles: [], rbac: USERS_RBAC };

Deno.test("login through a talos_api server: Talos's key lands in the talosconfig and apid accepts it as bob", async () => {
  await using idp = await startTestIdp();
  await using t = await startTalosApiServer({ idp, config: RBAC });
  await using home = await makeHome();
  const caFile = join(home.path, "server-ca.pem");
  await Deno.writeTextFile(caFile, t.tlsCaPem);
  const r = await runCli([
    "login",
    ...["--provider", idp.issuer, "--client-id", idp.clientId, "--server", t.url, "--server-ca", caFile],
    ...["--callback-port", "0", "--scopes", "openid,email,groups,offline_access"],
    ...["--browser-command", browserCommand("walk", { user: "bob" })],
  ], { home: home.path });
  assertEquals(r.code, 0, r.stderr);
  assertStringIncludes(r.stderr, "ignored the CSR and returned a key it had made (it issues through the Talos API");
  assertMatch(r.stderr, /roles \[os:reader\]/);
  assertEquals((await t.talos.calls()).map((c) => [c.roles, c.ttlSeconds, c.callerRoles]), [[["os:reader"], 300, [
    "os:admin",
  ]]]);

  const ctx = getContext((await readTalosconfig(join(home.path, ".talos", "config"))).doc, "oidc")!;
  const key = decodeBase64Pem(ctx.key!);
  assertMatch(key, /^-----BEGIN ED25519 PRIVATE KEY-----\n/, "the key Talos made, label unchanged");
  assertEquals(decodeBase64Pem(ctx.ca!), t.ca.certPem);
  await using apid = await startFakeApid({ caPem: t.ca.certPem, caKeyPem: t.ca.keyPem });
  const answer = await callApid(apid, { certPem: decodeBase64Pem(ctx.crt!), keyPem: key });
  assertEquals(answer, { status: 200, body: { subject_cn: "", roles: ["os:reader"] } });
});
