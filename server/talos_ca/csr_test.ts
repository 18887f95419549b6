/** @module Tests for CSR mode: the CSR's key is signed after its self-signature checks out; all else is ignored. */

import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import { Buffer } from "node:buffer";
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from "node:crypto";
import { isTalosOidcError } from "../../shared/errors.ts";
import { assert, assertEquals, assertMatch, assertThrows } from "../../tests/helpers/assert.ts";
import { createDevCa, toCryptoKeys } from "../../tests/helpers/dev_ca.ts";
import { csrPublicKey, MAX_CSR_PEM_LENGTH } from "./csr.ts";
import { baseCsrs, resign } from "../../tests/helpers/csr_mutations.ts";
import { hex, TAG } from "./der.ts";
import { readChildren, readOnly } from "./der_read.ts";
import { encode, node, oid } from "./der_write.ts";
import { createCertIssuer } from "./issuer.ts";
import { loadTalosCa } from "./load.ts";
import { pemBlocks, toPem } from "./pem.ts";

/** A CSR signed by `key` with @peculiar/x509, asking for things the issuer must ignore. */
async function makeCsr(key: KeyObject): Promise<string> {
  const keys = await toCryptoKeys(key);
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: "CN=root, O=os:impersonator",
    keys,
    signingAlgorithm: keys.signAlg,
    extensions: [
      new x509.BasicConstraintsExtension(true, 5, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
    ],
  });
  return csr.toString("pem");
}

function spki(key: KeyObject): Buffer {
  return createPublicKey(key).export({ type: "spki", format: "der" });
}

function refused(csrPem: string, re: RegExp): void {
  const err = assertThrows(() => csrPublicKey(csrPem));
  assert(isTalosOidcError(err, "ERR_INVALID_CSR"), String(err));
  assertMatch(err.message, re);
  assertEquals(err.status, 400);
}

Deno.test("csrPublicKey() returns the key of a valid Ed25519, P-256, P-384 or RSA-2048 CSR", async () => {
  for (
    const key of [
      generateKeyPairSync("ed25519").privateKey,
      generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey,
      generateKeyPairSync("ec", { namedCurve: "P-384" }).privateKey,
      generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey,
    ]
  ) {
    assertEquals(Buffer.compare(Buffer.from(csrPublicKey(await makeCsr(key))), spki(key)), 0);
  }
});

Deno.test("issue() with a CSR signs its key and ignores its subject and requested extensions", async () => {
  const ca = await loadTalosCa(await createDevCa("ed25519"));
  const key = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey;
  const cert = await createCertIssuer(ca).issue({
    roles: ["os:reader"],
    commonName: "alice",
    ttlMs: 60_000,
    now: new Date(),
    csrPem: await makeCsr(key),
  });
  assertEquals(cert.keyPem, undefined);
  const x = new x509.X509Certificate(cert.certPem);
  assertEquals(x.subject, "O=os:reader, CN=alice");
  assertEquals(x.getExtension(x509.BasicConstraintsExtension)?.ca, false);
  assertEquals([...x.getExtension(x509.ExtendedKeyUsageExtension)!.usages], [x509.ExtendedKeyUsage.clientAuth]);
  assertEquals(Buffer.compare(Buffer.from(x.publicKey.rawData), spki(key)), 0);
});

Deno.test("csrPublicKey() refuses a CSR whose signature does not verify", async () => {
  const pem = await makeCsr(generateKeyPairSync("ed25519").privateKey);
  const der = pemBlocks(pem)[0]!.der;
  der[der.length - 1]! ^= 0x01;
  refused(toPem("CERTIFICATE REQUEST", der), /signature does not verify/);
  // Another key put in place of the signer's: the signature no longer matches the key.
  const swapped = Buffer.from(pemBlocks(pem)[0]!.der);
  const ownKey = Buffer.from(csrPublicKey(pem));
  swapped.set(spki(generateKeyPairSync("ed25519").privateKey), swapped.indexOf(ownKey));
  refused(toPem("CERTIFICATE REQUEST", swapped), /signature does not verify/);
});

Deno.test("csrPublicKey() refuses an RSA key under 2048 bits and unsupported key types", async () => {
  refused(await makeCsr(generateKeyPairSync("rsa", { modulusLength: 1024 }).privateKey), /1024 bits, fewer than 2048/);
  // Ed448 through openssl (WebCrypto here has no Ed448).
  const dir = await Deno.makeTempDir();
  try {
    for (const alg of ["ed448", "EC -pkeyopt ec_paramgen_curve:secp256k1"]) {
      const key = `${dir}/k.pem`;
      const gen = await new Deno.Command("openssl", { args: ["genpkey", "-algorithm", ...alg.split(" "), "-out", key] })
        .output();
      assertEquals(gen.code, 0);
      const req = await new Deno.Command("openssl", {
        args: ["req", "-new", "-key", key, "-subj", "/CN=x"],
        stdout: "piped",
      }).output();
      assertEquals(req.code, 0);
      refused(new TextDecoder().decode(req.stdout), /unsupported (signature algorithm|curve|key type)/);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("csrPublicKey() refuses what is not a PKCS#10 CSR", async () => {
  const dev = await createDevCa("ed25519");
  refused("hello", /no "CERTIFICATE REQUEST" PEM block/);
  refused(dev.certPem, /no "CERTIFICATE REQUEST" PEM block/);
  refused(dev.certPem.replaceAll("CERTIFICATE", "CERTIFICATE REQUEST"), /not a valid PKCS#10/);
  const versionOnly = encode(node(TAG.SEQUENCE, node(TAG.INTEGER, Uint8Array.of(0))));
  refused(toPem("CERTIFICATE REQUEST", versionOnly), /not a valid PKCS#10/);
  refused("-----BEGIN CERTIFICATE REQUEST-----\n%%%%\n-----END CERTIFICATE REQUEST-----\n", /PEM is damaged/);
  refused("x".repeat(MAX_CSR_PEM_LENGTH + 1), /longer than/);
  const valid = pemBlocks(await makeCsr(generateKeyPairSync("ed25519").privateKey))[0]!.der;
  refused(toPem("CERTIFICATE REQUEST", Uint8Array.from([...valid, 0])), /not a valid PKCS#10/);
});

Deno.test("csrPublicKey() re-encodes a compressed EC point uncompressed, the only form Go's x509 reads", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const run = async (args: string[]) => {
      const out = await new Deno.Command("openssl", { args, stdout: "piped", stderr: "piped" }).output();
      assertEquals(out.code, 0, new TextDecoder().decode(out.stderr));
      return new TextDecoder().decode(out.stdout);
    };
    await run(["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", `${dir}/k.pem`]);
    await run(["ec", "-in", `${dir}/k.pem`, "-conv_form", "compressed", "-out", `${dir}/c.pem`]);
    const csr = await run(["req", "-new", "-key", `${dir}/c.pem`, "-subj", "/CN=x"]);
    const key = csrPublicKey(csr);
    assertEquals([key.length, key[key.length - 65]], [91, 0x04]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("csrPublicKey() checks the whole signed structure, the parts it ignores included, and one signature form", async () => {
  const bases = await baseCsrs();
  const [ed, p256, rsa] = ["ed25519", "p256", "rsa2048"].map((k) => bases.find((b) => b.kind === k)!);
  const pem = (der: Uint8Array) => toPem("CERTIFICATE REQUEST", der);
  const [version, subject, spkiField, attributes] = readChildren(readOnly(ed!.info)).map((c) => c.raw);
  const info = (...fields: Uint8Array[]) => encode(node(TAG.SEQUENCE, ...fields));
  // A subject RDN whose AttributeTypeAndValue runs past its SET (asn1js reads past it), re-signed by the key.
  const overrun = subject!.slice();
  overrun[5]! += 1;
  refused(pem(resign(ed!, info(version!, overrun, spkiField!, attributes!))), /not a valid PKCS#10/);
  // A subject value with a broken BIT STRING, and a field after the attributes: both signed, both refused.
  const badValue = encode(node(TAG.SEQUENCE, node(TAG.SET, node(TAG.SEQUENCE, oid("2.5.4.3"), hex("030109")))));
  refused(pem(resign(ed!, info(version!, badValue, spkiField!, attributes!))), /not a valid PKCS#10/);
  refused(pem(resign(ed!, info(version!, subject!, spkiField!, attributes!, hex("0500")))), /not a valid PKCS#10/);
  // Parameters: none for Ed25519 and ECDSA; NULL or absent for RSA (RFC 4055 §5).
  const withNull = (dotted: string) => encode(node(TAG.SEQUENCE, oid(dotted), node(TAG.NULL)));
  refused(pem(resign(ed!, ed!.info, withNull("1.3.101.112"))), /parameters it does not take/);
  refused(pem(resign(p256!, p256!.info, withNull("1.2.840.10045.4.3.2"))), /parameters it does not take/);
  const rsaNoNull = encode(node(TAG.SEQUENCE, oid("1.2.840.113549.1.1.11")));
  assertEquals(csrPublicKey(pem(resign(rsa!, rsa!.info, rsaNoNull))).length, 294);
  // An ECDSA signature whose SEQUENCE length is wrong (x509 reads it anyway): one encoding only.
  const der = resign(p256!, p256!.info);
  const signature = readChildren(readOnly(der))[2]!; // BIT STRING: 00, then 30 <length> r s
  der[der.length - signature.content.length + 2]! ^= 0x20;
  refused(pem(der), /not a DER Ecdsa-Sig-Value/);
});

Deno.test("csrPublicKey() accepts an openssl CSR with a UTF-8 subject, PKCS#9 attributes and requested extensions", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const config = "[req]\ndistinguished_name=dn\nattributes=attrs\nprompt=no\nutf8=yes\nstring_mask=utf8only\n" +
      "[dn]\nCN=Zoë Ünïcode\nO=os:admin\nemailAddress=z@example.com\n" +
      "[attrs]\nchallengePassword=secret123\nunstructuredName=hello\n";
    await Deno.writeTextFile(`${dir}/c.cnf`, config);
    for (
      const args of [["genpkey", "-algorithm", "ed25519", "-out", `${dir}/k.pem`], [
        ...["req", "-new", "-key", `${dir}/k.pem`, "-config", `${dir}/c.cnf`, "-out", `${dir}/r.pem`],
        ...["-addext", "subjectAltName=DNS:a.example,IP:10.0.0.1", "-addext", "keyUsage=critical,digitalSignature"],
      ]]
    ) {
      const out = await new Deno.Command("openssl", { args, stdout: "null", stderr: "piped" }).output();
      assertEquals(out.code, 0, new TextDecoder().decode(out.stderr));
    }
    const key = createPrivateKey(await Deno.readTextFile(`${dir}/k.pem`));
    assertEquals(Buffer.compare(Buffer.from(csrPublicKey(await Deno.readTextFile(`${dir}/r.pem`))), spki(key)), 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
