/** @module End to end over real TLS: real IdP tokens in, certificates that a real mTLS apid stand-in accepts out. */

import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import { generateKeyPairSync } from "node:crypto";
import { join } from "node:path";
import { assert, assertEquals, assertNotEquals } from "./helpers/assert.ts";
import { callApid, startFakeApid } from "./helpers/apid.ts";
import { createDevCa, type DevCaKind } from "./helpers/dev_ca.ts";
import { type SigningAlg, startTestIdp } from "./helpers/idp.ts";
import { asExchangeResponse, startTestServer } from "./helpers/server.ts";
import { certFacts, issuedBy, issueServerCert } from "../server/tls/self_signed.ts";

for (const kind of ["ed25519", "ecdsa", "rsa"] as DevCaKind[]) {
  Deno.test(`a ${kind} Talos CA issues certificates apid accepts, for RS256, ES256 and EdDSA tokens`, async () => {
    await using idp = await startTestIdp();
    const ca = await createDevCa(kind);
    await using apid = await startFakeApid({ caPem: ca.certPem, caKeyPem: ca.keyPem });
    await using server = await startTestServer({ idp, ca });
    const served = await fetch(`${server.url}/ca`, { client: server.client });
    assertEquals(await served.text(), server.tlsCaPem);
    for (const alg of ["RS256", "ES256", "EdDSA"] as SigningAlg[]) {
      const { status, json, headers } = await server.exchange({
        id_token: await idp.mint({ email: "alice@example.com", email_verified: true }, { alg }),
      });
      assertEquals(status, 200, `${alg}: ${JSON.stringify(json)}`);
      assertEquals(headers.get("cache-control"), "no-store");
      const r = asExchangeResponse(json);
      assertEquals(r.ca.trim(), ca.certPem.trim());
      const answer = await callApid(apid, { certPem: r.cert, keyPem: r.key! });
      assertEquals(answer, { status: 200, body: { subject_cn: "alice@example.com", roles: ["os:admin"] } }, alg);
    }
    assertEquals(server.audit.filter((e) => e.type === "cert_issued").length, 3);
    const everything = [...server.auditText, ...server.logs].join("\n");
    assert(!everything.includes("PRIVATE KEY"), "no key in logs or audit");
    assert(!/eyJ[\w-]+\.eyJ/.test(everything), "no token in logs or audit");
  });
}

Deno.test("CSR mode: the key stays with the client and apid accepts the certificate", async () => {
  await using idp = await startTestIdp();
  const ca = await createDevCa("ed25519");
  await using apid = await startFakeApid({ caPem: ca.certPem, caKeyPem: ca.keyPem });
  await using server = await startTestServer({ idp, ca });
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  x509.cryptoProvider.set(crypto);
  const keys = {
    privateKey: await crypto.subtle.importKey(
      "pkcs8",
      privateKey.export({ type: "pkcs8", format: "der" }),
      "Ed25519",
      false,
      ["sign"],
    ),
    publicKey: await crypto.subtle.importKey(
      "spki",
      publicKey.export({ type: "spki", format: "der" }),
      "Ed25519",
      true,
      ["verify"],
    ),
  };
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: "CN=whatever",
    keys,
    signingAlgorithm: { name: "Ed25519" },
  });
  const { status, json } = await server.exchange({ id_token: await idp.mint(), csr: csr.toString("pem") });
  assertEquals(status, 200);
  const r = asExchangeResponse(json);
  assertEquals(r.key, undefined);
  const keyPem = privateKey.export({ type: "pkcs8", format: "pem" }) as string;
  assertEquals(await callApid(apid, { certPem: r.cert, keyPem }), {
    status: 200,
    body: { subject_cn: "alice", roles: ["os:admin"] },
  });
});

Deno.test("RBAC groups decide the roles apid reads back, and no matching rule is a 403", async () => {
  await using idp = await startTestIdp();
  const ca = await createDevCa("ecdsa");
  await using apid = await startFakeApid({ caPem: ca.certPem, caKeyPem: ca.keyPem });
  const rules = [
    { claim: "groups", value: "talos-admins", roles: ["os:admin"] },
    { claim: "groups", value: "talos-*", match: "glob", roles: ["os:reader"] },
  ];
  await using server = await startTestServer({ idp, ca, config: { roles: [], rbac: { rules } } });
  const bob = await server.exchange({
    id_token: await idp.mint({ sub: "bob", email: "bob@example.com", email_verified: true, groups: ["talos-readers"] }),
  });
  const r = asExchangeResponse(bob.json);
  assertEquals(await callApid(apid, { certPem: r.cert, keyPem: r.key! }), {
    status: 200,
    body: { subject_cn: "bob@example.com", roles: ["os:reader"] },
  });
  const alice = asExchangeResponse(
    (await server.exchange({ id_token: await idp.mint({ groups: ["talos-admins"] }) })).json,
  );
  assertEquals(await callApid(apid, { certPem: alice.cert, keyPem: alice.key! }), {
    status: 200,
    body: { subject_cn: "alice", roles: ["os:admin", "os:reader"] },
  });
  const mallory = await server.exchange({ id_token: await idp.mint({ sub: "mallory", groups: ["guests"] }) });
  assertEquals([mallory.status, mallory.json.error], [403, "no roles assigned - user does not match any RBAC rules"]);
});

Deno.test("client mistakes over the network are 4xx JSON: 400, 401, 405, 413 (declared and streamed)", async () => {
  await using idp = await startTestIdp();
  await using server = await startTestServer({ idp });
  const send = (init: RequestInit & { duplex?: string }, path = "/exchange") =>
    fetch(`${server.url}${path}`, { ...init, client: server.client });
  const cases: [Promise<Response>, number, string][] = [
    [send({ method: "POST", body: "{oops" }), 400, "invalid JSON"],
    [send({ method: "POST", body: "{}" }), 400, "id_token is required"],
    [
      send({ method: "POST", body: JSON.stringify({ id_token: await idp.mint({ aud: "other" }) }) }),
      401,
      "invalid token",
    ],
    [send({ method: "GET" }), 405, "method not allowed"],
    [send({ method: "POST" }, "/healthz"), 405, "method not allowed"],
    [send({ method: "POST", body: "x".repeat(65 * 1024) }), 413, "request body too large or unreadable"],
    [
      send({
        method: "POST",
        body: ReadableStream.from(Array.from({ length: 40 }, () => new Uint8Array(4096).fill(120))),
        duplex: "half",
      }),
      413,
      "request body too large or unreadable",
    ],
  ];
  for (const [pending, status, error] of cases) {
    const res = await pending;
    const body = await res.json();
    assertEquals([res.status, body.error], [status, error]);
    assert(typeof body.code === "string" && body.code.startsWith("ERR_"));
  }
});

Deno.test("self-signed TLS in data_dir is reused after a restart, and an expiring leaf is renewed from the same CA", async () => {
  await using idp = await startTestIdp();
  const dataDir = await Deno.makeTempDir({ prefix: "e2e-data-" });
  try {
    const config = { data_dir: dataDir, tls_san: ["talos-oidc.test"] };
    const first = await startTestServer({ idp, config });
    const caPem = first.tlsCaPem!;
    const leaf1 = await Deno.readTextFile(join(dataDir, "server.crt"));
    assertEquals((await Deno.stat(join(dataDir, "ca.key"))).mode! & 0o777, 0o600);
    await first.close();

    const second = await startTestServer({ idp, config });
    assertEquals(second.tlsCaPem, caPem);
    assertEquals(await Deno.readTextFile(join(dataDir, "server.crt")), leaf1);
    await second.close();

    // The persisted leaf was issued long ago and expires in 12 hours: the next start renews it from the same CA.
    const ca = { certPem: caPem, keyPem: await Deno.readTextFile(join(dataDir, "ca.key")) };
    const old = await issueServerCert(
      ca,
      ["localhost", "127.0.0.1", "::1", "talos-oidc.test"],
      new Date(Date.now() - 90 * 86_400_000 + 12 * 3_600_000),
    );
    await Deno.writeTextFile(join(dataDir, "server.crt"), old.certPem);
    await Deno.writeTextFile(join(dataDir, "server.key"), old.keyPem);
    await using third = await startTestServer({ idp, config });
    assertEquals(third.tlsCaPem, caPem);
    const leaf3 = await Deno.readTextFile(join(dataDir, "server.crt"));
    assertNotEquals(leaf3, old.certPem);
    assert(issuedBy(leaf3, caPem) && certFacts(leaf3).notAfter.getTime() > Date.now() + 80 * 86_400_000);
    using pinned = Deno.createHttpClient({ caCerts: [caPem] });
    assertEquals(await (await fetch(`${third.url}/healthz`, { client: pinned })).text(), "ok");
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});
