/** @module Tests for the client key and CSR. */

import { createPrivateKey } from "node:crypto";
import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import { assert, assertEquals, assertMatch } from "../tests/helpers/assert.ts";
import { mintTestCredentials } from "../tests/helpers/client_certs.ts";
import { certMatchesKey, generateClientKey } from "./csr.ts";

Deno.test("generateClientKey() makes a CSR whose signature verifies and whose key is Ed25519", async () => {
  const k = await generateClientKey();
  x509.cryptoProvider.set(crypto);
  const csr = new x509.Pkcs10CertificateRequest(k.csrPem);
  assert(await csr.verify());
  assertEquals(csr.publicKey.algorithm.name, "Ed25519");
  assertEquals(new Uint8Array(csr.publicKey.rawData), k.spki);
});

Deno.test("generateClientKey() writes the key as Talos does: PKCS#8 under ED25519 PRIVATE KEY", async () => {
  const k = await generateClientKey();
  assertMatch(k.keyPem, /^-----BEGIN ED25519 PRIVATE KEY-----\n[\s\S]+\n-----END ED25519 PRIVATE KEY-----\n?$/);
  const pkcs8 = k.keyPem.replaceAll("ED25519 PRIVATE KEY", "PRIVATE KEY");
  assertEquals(createPrivateKey(pkcs8).asymmetricKeyType, "ed25519");
});

Deno.test("certMatchesKey() tells a certificate for our key from one for another key", async () => {
  const k = await generateClientKey();
  const other = await mintTestCredentials();
  assert(!certMatchesKey(other.crt, k.spki));
  assert(!certMatchesKey("not a certificate", k.spki));
  x509.cryptoProvider.set(crypto);
  const caKeys = await crypto.subtle.generateKey({ name: "Ed25519" }, true, ["sign", "verify"]) as CryptoKeyPair;
  const csr = new x509.Pkcs10CertificateRequest(k.csrPem);
  const cert = await x509.X509CertificateGenerator.create({
    subject: "O=os:reader",
    issuer: "CN=test",
    notBefore: new Date(),
    notAfter: new Date(Date.now() + 60_000),
    signingKey: caKeys.privateKey,
    publicKey: csr.publicKey,
    signingAlgorithm: { name: "Ed25519" },
  });
  assert(certMatchesKey(cert.toString("pem"), k.spki));
});
