/**
 * @module Differential test: the fast DER-template issuer against @peculiar/x509 (reference), node:crypto and openssl,
 * over thousands of random requests (roles, unicode/long/odd common names, TTLs, dates across 2050).
 */

import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import { Buffer } from "node:buffer";
import { createPublicKey, X509Certificate } from "node:crypto";
import { isTalosOidcError } from "../../shared/errors.ts";
import { normaliseRoles } from "../../shared/roles.ts";
import { assert, assertEquals } from "../../tests/helpers/assert.ts";
import {
  createDevCa,
  type DevCaKind,
  keyFromPem,
  talosClientExtensions,
  toCryptoKeys,
} from "../../tests/helpers/dev_ca.ts";
import { seededRandom } from "../../tests/helpers/seeded_random.ts";
import { readChildren, readOnly } from "./der_read.ts";
import { createCertIssuer } from "./issuer.ts";
import { type LoadedCa, loadTalosCa } from "./load.ts";
import type { IssuedCert } from "./types.ts";

const ROLE_POOL = [
  "os:admin",
  "os:operator",
  "os:reader",
  "os:etcd:backup",
  "os:impersonator",
  " os:reader",
  "",
  "x:é",
];
const ODD = [
  '"',
  "\\",
  ",",
  "+",
  "=",
  ";",
  "<",
  ">",
  "#",
  " ",
  "\n",
  "\t",
  "\0",
  "é",
  "中",
  "😀",
  "\u{d800}",
  "*",
  "&",
];

function randomCn(r: () => number): string {
  const pick = <T>(xs: T[]) => xs[Math.floor(r() * xs.length)]!;
  switch (Math.floor(r() * 5)) {
    case 0:
      return `user${Math.floor(r() * 1e6)}@example.com`;
    case 1:
      return "";
    case 2: // long: up to ~1,500 characters
      return "a".repeat(1 + Math.floor(r() * 1500));
    default:
      return Array.from({ length: 1 + Math.floor(r() * 40) }, () => r() < 0.5 ? pick(ODD) : "x").join("");
  }
}

const CA_WINDOW = { notBefore: new Date("2020-01-01T00:00:00Z"), notAfter: new Date("2075-01-01T00:00:00Z") };

function expectedSubject(roles: string[], cn: string): x509.JsonName {
  const json: x509.JsonName = roles.map((o) => ({ O: [o] }));
  if (cn !== "") json.push({ CN: [cn.toWellFormed()] });
  return json;
}

/**
 * The same certificate built by @peculiar/x509 from the expected subject, with the fast path's serial, dates and
 * public key (those are random or derived from the clock, and compared above).
 */
async function reference(
  ca: LoadedCa,
  caKey: CryptoKey,
  signAlg: Algorithm,
  fast: x509.X509Certificate,
  want: x509.JsonName,
) {
  // String types as @peculiar/x509 (and Go) choose them: PrintableString when the value fits, else UTF8String.
  const value = (v: string) => x509.Name.isPrintableString(v) ? { printableString: v } : { utf8String: v };
  const subject = new x509.Name(want.map((rdn) => {
    const [type, values] = Object.entries(rdn)[0]!;
    return { [type]: values.map(value) };
  }));
  return await x509.X509CertificateGenerator.create({
    serialNumber: fast.serialNumber,
    subject,
    issuer: new x509.X509Certificate(ca.certPem).subjectName,
    notBefore: fast.notBefore,
    notAfter: fast.notAfter,
    publicKey: fast.publicKey,
    signingKey: caKey,
    signingAlgorithm: signAlg,
    extensions: talosClientExtensions(Buffer.from(ca.keyId).toString("hex")),
  });
}

const tbs = (der: ArrayBuffer) => readChildren(readOnly(new Uint8Array(der)))[0]!.raw;

async function differential(
  kind: DevCaKind,
  fixedSeed: number,
  count: number,
  rebuildEvery: number,
  sampleForOpenssl: number,
) {
  const { next: r, label: seed } = seededRandom(fixedSeed);
  const dev = await createDevCa(kind, CA_WINDOW);
  const ca = await loadTalosCa({ ...dev, now: new Date("2030-01-01T00:00:00Z") });
  const { privateKey: caKey, signAlg } = await toCryptoKeys(keyFromPem(dev.keyPem));
  const caPublic = createPublicKey(dev.certPem);
  const issuers = [0, 60_000, 3_600_000].map((backdateMs) => ({
    backdateMs,
    issuer: createCertIssuer(ca, { backdateMs }),
  }));
  const sample: IssuedCert[] = [];
  let refused = 0, rebuilt = 0;
  for (let i = 0; i < count; i++) {
    const roles = Array.from({ length: Math.floor(r() * 6) }, () => ROLE_POOL[Math.floor(r() * ROLE_POOL.length)]!);
    const commonName = randomCn(r);
    const ttlMs = r() < 0.2 ? 1000 : Math.floor(1000 + r() * 30 * 86_400_000);
    const span = CA_WINDOW.notAfter.getTime() - CA_WINDOW.notBefore.getTime() - 2 * 86_400_000;
    const now = new Date(CA_WINDOW.notBefore.getTime() + 86_400_000 + Math.floor(r() * span));
    const { backdateMs, issuer } = issuers[i % issuers.length]!;
    const ctx = `${seed}, #${i}: ${JSON.stringify({ roles, commonName, ttlMs, now, backdateMs })}`;
    const want = normaliseRoles(roles);
    let cert: IssuedCert;
    try {
      cert = await issuer.issue({ roles, commonName, ttlMs, now });
    } catch (err) {
      assert(want.length === 0 && isTalosOidcError(err, "ERR_NO_ROLES"), `${ctx}: ${err}`);
      refused++;
      continue;
    }
    const fast = new x509.X509Certificate(cert.certPem);
    const subject = expectedSubject(want, commonName);
    assertEquals(fast.subjectName.toJSON(), subject, ctx);
    assertEquals(readChildren(readChildren(readOnly(new Uint8Array(fast.rawData)))[0]!)[3]!.raw, ca.subjectDer, ctx);
    assertEquals(fast.serialNumber, cert.serial, ctx);
    const notBefore = Math.floor((now.getTime() - backdateMs) / 1000) * 1000;
    const notAfter = Math.min(Math.floor((now.getTime() + ttlMs) / 1000) * 1000, ca.notAfter.getTime());
    assertEquals([fast.notBefore.getTime(), fast.notAfter.getTime()], [notBefore, notAfter], ctx);
    assertEquals([cert.notBefore.getTime(), cert.notAfter.getTime()], [notBefore, notAfter], ctx);
    assertEquals([...fast.extensions].map((e) => [e.type, e.critical]), [
      ["2.5.29.15", true],
      ["2.5.29.37", false],
      ["2.5.29.19", true],
      ["2.5.29.35", false],
    ], ctx);
    assertEquals([...fast.getExtension(x509.ExtendedKeyUsageExtension)!.usages], ["1.3.6.1.5.5.7.3.2"], ctx);
    const spki = createPublicKey(cert.keyPem!.replaceAll("ED25519 PRIVATE KEY", "PRIVATE KEY"))
      .export({ type: "spki", format: "der" });
    assertEquals(Buffer.compare(Buffer.from(fast.publicKey.rawData), spki), 0, ctx);
    assert(new X509Certificate(cert.certPem).verify(caPublic), `${ctx}: signature does not verify`);
    if (i % rebuildEvery === 0) {
      const ref = await reference(ca, caKey, signAlg, fast, subject);
      // Ed25519 and RSA PKCS#1 v1.5 signatures are deterministic: whole DER must match; ECDSA: the TBS.
      const [a, b] = kind === "ecdsa"
        ? [tbs(fast.rawData), tbs(ref.rawData)]
        : [new Uint8Array(fast.rawData), new Uint8Array(ref.rawData)];
      assertEquals(Buffer.from(a).toString("hex"), Buffer.from(b).toString("hex"), ctx);
      rebuilt++;
    }
    if (sample.length < sampleForOpenssl) sample.push(cert);
  }
  await opensslVerify(dev.certPem, sample, seed);
  assert(refused < count / 2 && rebuilt > 0, `${seed}: ${refused} refused, ${rebuilt} rebuilt`);
}

/** `openssl verify -purpose sslclient` on every sampled certificate in one run (dates are random: no time check). */
async function opensslVerify(caPem: string, certs: IssuedCert[], seed: string): Promise<void> {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/ca.pem`, caPem);
    const files = await Promise.all(certs.map(async (c, i) => {
      await Deno.writeTextFile(`${dir}/${i}.pem`, c.certPem);
      return `${dir}/${i}.pem`;
    }));
    const out = await new Deno.Command("openssl", {
      args: ["verify", "-no_check_time", "-purpose", "sslclient", "-CAfile", `${dir}/ca.pem`, ...files],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
    assertEquals(out.code, 0, `${seed}: ${text}`);
    assertEquals(text.match(/: OK$/gm)?.length, certs.length, text);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("the fast issuer matches @peculiar/x509 byte for byte over 3,000 random Ed25519-CA requests", async () => {
  await differential("ed25519", 0xed25519, 3000, 3, 100);
});

Deno.test("the fast issuer matches @peculiar/x509 over 300 random ECDSA-CA requests (TBS compared)", async () => {
  await differential("ecdsa", 0xec, 300, 3, 40);
});

Deno.test("the fast issuer matches @peculiar/x509 byte for byte over 200 random RSA-CA requests", async () => {
  await differential("rsa", 0x25a, 200, 4, 40);
});
