/** @module Tests for createCertIssuer: the Talos client-certificate profile, time handling, and refusals. */

import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import { Buffer } from "node:buffer";
import { createPublicKey, X509Certificate } from "node:crypto";
import { isTalosOidcError } from "../../shared/errors.ts";
import { assert, assertEquals, assertRejects, assertThrows } from "../../tests/helpers/assert.ts";
import { createDevCa, type DevCaOptions } from "../../tests/helpers/dev_ca.ts";
import { readChildren, readOnly } from "./der_read.ts";
import { createCertIssuer } from "./issuer.ts";
import { loadTalosCa } from "./load.ts";

const HOUR = 3_600_000;
const NOW = new Date("2031-03-04T05:06:07.890Z");

async function issuerFor(kind: "ed25519" | "ecdsa" | "rsa", opts: DevCaOptions = {}, backdateMs?: number) {
  const dev = await createDevCa(kind, { notBefore: new Date("2030-01-01T00:00:00Z"), ...opts });
  const ca = await loadTalosCa({ ...dev, now: NOW });
  return { dev, ca, issuer: createCertIssuer(ca, backdateMs === undefined ? {} : { backdateMs }) };
}

/** Raw issuer Name bytes of a certificate: TBSCertificate field 3 (after version, serial, signature). */
function issuerBytes(pem: string): Uint8Array {
  const der = new Uint8Array(new x509.X509Certificate(pem).rawData);
  const tbs = readChildren(readOnly(der))[0]!;
  return readChildren(tbs)[3]!.raw;
}

Deno.test("issue() writes the Talos client profile: O per sorted role, then CN; clientAuth only; not a CA", async () => {
  const { ca, issuer } = await issuerFor("ed25519");
  const cert = await issuer.issue({
    roles: ["os:reader", "os:admin", " ", "os:admin"],
    commonName: "a@b.c",
    ttlMs: HOUR,
    now: NOW,
  });
  const x = new x509.X509Certificate(cert.certPem);
  assertEquals(x.subjectName.toJSON(), [{ O: ["os:admin"] }, { O: ["os:reader"] }, { CN: ["a@b.c"] }]);
  assertEquals(x.issuer, "O=talos");
  assertEquals(x.serialNumber, cert.serial);
  assertEquals(cert.serial.length, 32);
  assertEquals(x.notBefore, new Date("2031-03-04T05:05:07Z"));
  assertEquals(x.notAfter, new Date("2031-03-04T06:06:07Z"));
  assertEquals([cert.notBefore, cert.notAfter], [x.notBefore, x.notAfter]);
  const ku = x.getExtension(x509.KeyUsagesExtension)!;
  assertEquals([ku.usages, ku.critical], [x509.KeyUsageFlags.digitalSignature, true]);
  const eku = x.getExtension(x509.ExtendedKeyUsageExtension)!;
  assertEquals([...eku.usages], [x509.ExtendedKeyUsage.clientAuth]);
  const bc = x.getExtension(x509.BasicConstraintsExtension)!;
  assertEquals([bc.ca, bc.critical], [false, true]);
  assertEquals(x.getExtension(x509.AuthorityKeyIdentifierExtension)!.keyId, Buffer.from(ca.keyId).toString("hex"));
  assertEquals(x.extensions.length, 4);
  const nodeCert = new X509Certificate(cert.certPem);
  assertEquals(cert.fingerprint, nodeCert.fingerprint256.replaceAll(":", "").toLowerCase());
  assert(nodeCert.verify(createPublicKey(ca.certPem)));
  assert(nodeCert.checkIssued(new X509Certificate(ca.certPem)));
});

Deno.test("issue() returns the leaf key matching the certificate, labelled as Talos and Go expect", async () => {
  for (
    const [kind, label, type] of [["ed25519", "ED25519", "ed25519"], ["ecdsa", "EC", "ec"], [
      "rsa",
      "ED25519",
      "ed25519",
    ]] as const
  ) {
    const { issuer } = await issuerFor(kind);
    const cert = await issuer.issue({ roles: ["os:reader"], commonName: "x", ttlMs: HOUR, now: NOW });
    assert(cert.keyPem?.startsWith(`-----BEGIN ${label} PRIVATE KEY-----\n`), cert.keyPem?.split("\n")[0]);
    const key = createPublicKey(cert.keyPem!.replaceAll("ED25519 PRIVATE KEY", "PRIVATE KEY"));
    assertEquals(key.asymmetricKeyType, type);
    const certKey = createPublicKey(cert.certPem).export({ type: "spki", format: "der" });
    assertEquals(Buffer.compare(key.export({ type: "spki", format: "der" }), certKey), 0);
  }
});

Deno.test("issue() copies the CA subject bytes verbatim into the issuer, whatever string types the CA used", async () => {
  // openssl writes UTF8String; Go and @peculiar/x509 would write PrintableString for the same text.
  const dir = await Deno.makeTempDir();
  try {
    const ok = await new Deno.Command("openssl", {
      args: [
        "req",
        "-x509",
        "-newkey",
        "ed25519",
        "-nodes",
        "-keyout",
        `${dir}/k.pem`,
        "-out",
        `${dir}/c.pem`,
        "-subj",
        "/O=talos/CN=é ca",
        "-days",
        "3650",
      ],
      stderr: "piped",
    }).output();
    assertEquals(ok.code, 0, new TextDecoder().decode(ok.stderr));
    const ca = await loadTalosCa({
      certPem: await Deno.readTextFile(`${dir}/c.pem`),
      keyPem: await Deno.readTextFile(`${dir}/k.pem`),
    });
    const cert = await createCertIssuer(ca).issue({
      roles: ["os:reader"],
      commonName: "x",
      ttlMs: HOUR,
      now: new Date(),
    });
    assertEquals(issuerBytes(cert.certPem), ca.subjectDer);
    assert(new X509Certificate(cert.certPem).verify(createPublicKey(ca.certPem)));
    assertEquals(ca.subjectDer[11], 0x0c, "openssl's O is a UTF8String");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("issue() backdates NotBefore by the configured amount and caps NotAfter at the CA's", async () => {
  const { ca, issuer } = await issuerFor("ed25519", { notAfter: new Date("2031-03-05T00:00:00Z") }, 0);
  const cert = await issuer.issue({ roles: ["os:reader"], commonName: "", ttlMs: 48 * HOUR, now: NOW });
  assertEquals(cert.notBefore, new Date("2031-03-04T05:06:07Z"));
  assertEquals(cert.notAfter, ca.notAfter);
  assertEquals(new x509.X509Certificate(cert.certPem).subjectName.toJSON(), [{ O: ["os:reader"] }]);
});

Deno.test("issue() encodes validity after 2049 as GeneralizedTime (RFC 5280 §4.1.2.5)", async () => {
  const { dev, issuer } = await issuerFor("ed25519", { notAfter: new Date("2060-01-01T00:00:00Z") });
  const now = new Date("2049-12-31T23:30:00Z");
  const cert = await issuer.issue({ roles: ["os:reader"], commonName: "y2k50", ttlMs: HOUR, now });
  const x = new x509.X509Certificate(cert.certPem);
  assertEquals([x.notBefore, x.notAfter], [new Date("2049-12-31T23:29:00Z"), new Date("2050-01-01T00:30:00Z")]);
  assert(Buffer.from(x.rawData).includes("20500101003000Z"), "expected a GeneralizedTime");
  assert(new X509Certificate(cert.certPem).verify(createPublicKey(dev.certPem)));
});

Deno.test("issue() refuses when no issuable role is left, and os:impersonator alone leaves none", async () => {
  const { issuer } = await issuerFor("ed25519");
  for (const roles of [[], [" ", ""], ["os:impersonator"]]) {
    const err = await assertRejects(() => issuer.issue({ roles, commonName: "x", ttlMs: HOUR, now: NOW }));
    assert(isTalosOidcError(err, "ERR_NO_ROLES"), String(err));
  }
});

Deno.test("createCertIssuer() and issue() refuse nonsense times as programmer errors", async () => {
  const { ca, issuer } = await issuerFor("ed25519");
  for (const backdateMs of [-1, Number.NaN, 2 * HOUR]) {
    assertThrows(() => createCertIssuer(ca, { backdateMs }), (e) => e instanceof RangeError);
  }
  for (const ttlMs of [0, -5, 999, Number.NaN, Infinity]) {
    await assertRejects(
      () => issuer.issue({ roles: ["os:reader"], commonName: "x", ttlMs, now: NOW }),
      (e) => e instanceof RangeError,
    );
  }
  await assertRejects(
    () => issuer.issue({ roles: ["os:reader"], commonName: "x", ttlMs: HOUR, now: new Date(NaN) }),
    (e) => e instanceof RangeError,
  );
});

Deno.test("issue() refuses once the CA has expired, even if it was valid when loaded", async () => {
  const dev = await createDevCa("ed25519", {
    notBefore: new Date("2030-01-01T00:00:00Z"),
    notAfter: new Date("2031-03-04T05:00:00Z"),
  });
  const issuer = createCertIssuer(await loadTalosCa({ ...dev, now: new Date("2031-03-01T00:00:00Z") }));
  const err = await assertRejects(() => issuer.issue({ roles: ["os:reader"], commonName: "x", ttlMs: HOUR, now: NOW }));
  assert(isTalosOidcError(err, "ERR_CA"), String(err));
});

Deno.test("issue() gives every certificate a distinct positive serial of 32 hex digits", async () => {
  const { issuer } = await issuerFor("ed25519");
  const serials = new Set<string>();
  for (let i = 0; i < 200; i++) {
    const { serial } = await issuer.issue({ roles: ["os:reader"], commonName: "x", ttlMs: HOUR, now: NOW });
    assert(/^[4-7][0-9a-f]{31}$/.test(serial), serial);
    serials.add(serial);
  }
  assertEquals(serials.size, 200);
});
