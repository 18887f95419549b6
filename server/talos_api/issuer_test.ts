/** @module The talos_api backend against a real gRPC Talos API stand-in (mutual TLS or unix socket) from our proto. */

import { join } from "node:path";
import { jsonLogger } from "../../shared/log.ts";
import { isTalosOidcError } from "../../shared/errors.ts";
import { callApid, startFakeApid } from "../../tests/helpers/apid.ts";
import { assert, assertEquals, assertMatch, assertRejects } from "../../tests/helpers/assert.ts";
import { createDevCa } from "../../tests/helpers/dev_ca.ts";
import { startTalosApiStandIn, talosApiIssuer as issuerFor } from "../../tests/helpers/talos_api.ts";
import { createTalosApiClient } from "./client.ts";
import { createTalosApiIssuer } from "./issuer.ts";

const MIN5 = 300_000;
const request = (roles: string[]) => ({ roles, commonName: "alice@example.com", ttlMs: MIN5, now: new Date() });

async function talosError(p: Promise<unknown>): Promise<{ detail: string; failures: { status: string }[] }> {
  const err = await assertRejects(() => p);
  assert(isTalosOidcError(err, "ERR_TALOS_API"), String(err));
  assertEquals([err.message, err.status], ["Talos API unavailable", 502]);
  return { detail: err.fields?.detail ?? "", failures: [...err.fields?.failures ?? []] };
}

Deno.test("talos_api issues over mutual TLS: the node gets our roles and TTL, apid accepts the certificate", async () => {
  const ca = await createDevCa("ed25519");
  await using talos = await startTalosApiStandIn({ ca });
  await using apid = await startFakeApid({ caPem: ca.certPem, caKeyPem: ca.keyPem });
  using t = await issuerFor(ca, [talos.endpoint]);
  assertEquals(t.issuer.caPem(), undefined, "the CA is known only after the first certificate");
  const cert = await t.issuer.issue(request(["os:reader", "os:operator", "os:reader"]));
  assertEquals((await talos.calls()).map((r) => [r.roles, r.ttlSeconds, r.callerRoles]), [
    [["os:operator", "os:reader"], 300, ["os:admin"]],
  ]);
  assertMatch(cert.keyPem!, /^-----BEGIN ED25519 PRIVATE KEY-----/);
  assertEquals([cert.caPem, t.issuer.caPem()], [ca.certPem, ca.certPem]);
  assertEquals(Math.round((cert.notAfter.getTime() - cert.notBefore.getTime()) / 1000), 300);
  assertMatch(cert.fingerprint, /^[0-9a-f]{64}$/);
  const answer = await callApid(apid, { certPem: cert.certPem, keyPem: cert.keyPem! });
  assertEquals(answer, { status: 200, body: { subject_cn: "", roles: ["os:operator", "os:reader"] } });
});

Deno.test("talos_api never requests os:impersonator, and refuses a certificate carrying more roles than asked", async () => {
  const ca = await createDevCa("ed25519");
  await using talos = await startTalosApiStandIn({ ca });
  using t = await issuerFor(ca, [talos.endpoint]);
  await t.issuer.issue(request(["os:impersonator", "os:reader"]));
  assertEquals((await talos.calls())[0]!.roles, ["os:reader"]);
  const only = await assertRejects(() => t.issuer.issue(request(["os:impersonator"])));
  assert(isTalosOidcError(only, "ERR_NO_ROLES"));
  assertEquals((await talos.calls()).length, 1, "nothing is requested when only os:impersonator was asked for");

  await using rogue = await startTalosApiStandIn({ ca, extraRoles: ["os:impersonator"] });
  using r = await issuerFor(ca, [rogue.endpoint]);
  const e = await talosError(r.issuer.issue(request(["os:reader"])));
  assertMatch(e.detail, /BAD_REPLY: the certificate carries roles \[os:impersonator, os:reader\]/);
});

Deno.test("the stand-in refuses a caller without os:admin: 502 naming the endpoint and PERMISSION_DENIED", async () => {
  const ca = await createDevCa("ed25519");
  await using talos = await startTalosApiStandIn({ ca });
  using t = await issuerFor(ca, [talos.endpoint], { roles: ["os:reader"] });
  const e = await talosError(t.issuer.issue(request(["os:reader"])));
  assertEquals(e.failures.map((f) => f.status), ["PERMISSION_DENIED"]);
  assertMatch(e.detail, new RegExp(`^${talos.endpoint}: PERMISSION_DENIED: not authorized`));
  assertEquals((await talos.calls())[0]!.callerRoles, ["os:reader"]);
});

Deno.test("a node certificate for another IP is refused before anything is sent", async () => {
  const ca = await createDevCa("ed25519");
  await using talos = await startTalosApiStandIn({ ca, serverIps: ["10.9.9.9"] });
  using t = await issuerFor(ca, [talos.endpoint]);
  const e = await talosError(t.issuer.issue(request(["os:reader"])));
  assertEquals(e.failures.map((f) => f.status), ["UNAVAILABLE"]);
  assertMatch(e.detail, /127\.0\.0\.1 is not in the cert's list/);
  assertEquals(await talos.calls(), []);
  // The same stand-in with the right IP SAN is accepted: the refusal is about the name, not the CA.
  await using good = await startTalosApiStandIn({ ca, serverIps: ["10.9.9.9", "127.0.0.1"] });
  using g = await issuerFor(ca, [good.endpoint]);
  assertEquals((await g.issuer.issue(request(["os:reader"]))).caPem, ca.certPem);
});

Deno.test("over the machined unix socket the call carries talos-role: os:admin and no TLS", async () => {
  const ca = await createDevCa("ed25519");
  const dir = await Deno.makeTempDir();
  try {
    const socketPath = join(dir, "machine.sock");
    await using talos = await startTalosApiStandIn({ ca, socketPath });
    const logger = jsonLogger({ level: "error", write: () => {} });
    const client = createTalosApiClient({
      target: { kind: "socket", path: socketPath },
      timeoutMs: 5000,
      logger,
      now: () => new Date(),
    });
    const issuer = createTalosApiIssuer({ client, logger, now: () => new Date() });
    try {
      const cert = await issuer.issue(request(["os:etcd:backup"]));
      assertEquals((await talos.calls()).map((r) => [r.roles, r.callerRoles]), [[["os:etcd:backup"], ["os:admin"]]]);
      assertEquals(cert.caPem, ca.certPem);
      assertEquals(await issuer.ready(), true);
    } finally {
      issuer.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
