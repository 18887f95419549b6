/**
 * @module The bench's Go peer does the work it is compared on: a real token in, a certificate from the Talos CA with
 * the roles in O and a matching key out, one audit line; a forged token refused. Otherwise its ratio means nothing.
 */

import { X509Certificate } from "node:crypto";
import { createPrivateKey, createPublicKey, generateKeyPairSync } from "node:crypto";
import { join } from "node:path";
import { assert, assertEquals, assertStringIncludes } from "../helpers/assert.ts";
import { createDevCa } from "../helpers/dev_ca.ts";
import { startTestIdp } from "../helpers/idp.ts";
import { buildGoPeer, startGoPeer } from "./go_peer.ts";

Deno.test("the Go peer issues a Talos client certificate for a valid token and refuses a forged one", async () => {
  const dir = await Deno.makeTempDir({ prefix: "go-peer-test-" });
  try {
    await using idp = await startTestIdp();
    const ca = await createDevCa("ed25519");
    const caCert = join(dir, "ca.crt"), caKey = join(dir, "ca.key"), audit = join(dir, "audit.jsonl");
    await Deno.writeTextFile(caCert, ca.certPem);
    await Deno.writeTextFile(caKey, ca.keyPem);
    const bin = await buildGoPeer(dir);
    await using peer = await startGoPeer(bin, {
      issuer: idp.issuer,
      clientId: idp.clientId,
      caCert,
      caKey,
      audit,
      log: join(dir, "peer.log"),
    });
    const post = async (idToken: string) => {
      const res = await fetch(`${peer.url}/exchange`, { method: "POST", body: JSON.stringify({ id_token: idToken }) });
      return { status: res.status, json: await res.json() };
    };
    const ok = await post(await idp.mint({ sub: "alice", email: "alice@example.com", groups: ["talos-readers"] }));
    assertEquals(ok.status, 200);
    const cert = new X509Certificate(ok.json.cert);
    assert(cert.verify(new X509Certificate(ca.certPem).publicKey), "signed by the Talos CA");
    assertStringIncludes(cert.subject, "O=os:reader");
    assertStringIncludes(cert.subject, "CN=alice@example.com");
    assert(cert.checkPrivateKey(createPrivateKey(ok.json.key)), "the key matches the certificate");
    assertEquals(ok.json.ttl_seconds, 300);
    const lines = (await Deno.readTextFile(audit)).trim().split("\n").map((l) => JSON.parse(l));
    assertEquals(lines.map((l) => [l.type, l.subject]), [["cert_issued", "alice"]]);

    const stranger = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey;
    const forged = await idp.mint({ sub: "mallory" }, { key: stranger });
    assertEquals((await post(forged)).status, 401);
    const expired = await idp.mint({ exp: Math.floor(Date.now() / 1000) - 10 });
    assertEquals((await post(expired)).status, 401);
    assert(createPublicKey(ok.json.key).asymmetricKeyType === "ed25519");
    assertEquals((await Deno.readTextFile(audit)).trim().split("\n").length, 1, "refusals are not audited");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
