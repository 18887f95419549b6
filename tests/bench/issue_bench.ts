/** @module Benchmark: certificate issuance, fast DER template vs @peculiar/x509 for the same certificate, vs openssl. */

import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import { Buffer } from "node:buffer";
import crypto, { generateKeyPairSync, sign } from "node:crypto";
import { createCertIssuer } from "../../server/talos_ca/issuer.ts";
import { type LoadedCa, loadTalosCa } from "../../server/talos_ca/load.ts";
import { createDevCa, type DevCaKind, keyFromPem, talosClientExtensions, toCryptoKeys } from "../helpers/dev_ca.ts";
import { opensslSpeed, rate } from "./measure.ts";
import type { BenchContext, BenchRow, BenchSection } from "./types.ts";

const OPENSSL_SECONDS = 2;
const HOUR = 3_600_000;
const REQUEST = { roles: ["os:admin", "os:reader"], commonName: "alice@example.com", ttlMs: HOUR };

/**
 * The reference: the same certificate profile through @peculiar/x509 and WebCrypto (fresh leaf key of the same type,
 * issuer = CA subject, the same four extensions, PEM out), as a straightforward implementation would do it.
 */
async function peculiarIssuer(ca: LoadedCa, caKeyPem: string) {
  const { privateKey, signAlg } = await toCryptoKeys(keyFromPem(caKeyPem));
  const caCert = new x509.X509Certificate(ca.certPem);
  const leafAlg = ca.keyType.startsWith("ecdsa") ? { name: "ECDSA", namedCurve: "P-256" } : { name: "Ed25519" };
  const keyId = Buffer.from(ca.keyId).toString("hex");
  return async () => {
    const now = Date.now();
    const leaf = await crypto.subtle.generateKey(leafAlg, true, ["sign", "verify"]) as CryptoKeyPair;
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: "40" + crypto.randomBytes(15).toString("hex"),
      subject: [{ O: REQUEST.roles }, { CN: [REQUEST.commonName] }],
      issuer: caCert.subjectName,
      notBefore: new Date(now - 60_000),
      notAfter: new Date(now + HOUR),
      publicKey: leaf.publicKey,
      signingKey: privateKey,
      signingAlgorithm: signAlg,
      extensions: talosClientExtensions(keyId),
    });
    const pkcs8 = await crypto.subtle.exportKey("pkcs8", leaf.privateKey);
    return [cert.toString("pem"), x509.PemConverter.encode(pkcs8, "PRIVATE KEY")];
  };
}

const round = (x: number) => Math.round(x);
const ratio = (a: number, b: number) => Math.round((a / b) * 100) / 100;

export async function run(ctx: BenchContext): Promise<BenchSection[]> {
  x509.cryptoProvider.set(crypto as unknown as Crypto);
  const osslSign = (await opensslSpeed(OPENSSL_SECONDS, ["ed25519"], ctx.log)).edSign;
  const long = Math.min(1.5, Math.max(0.3, (ctx.budgetSeconds - 2 * OPENSSL_SECONDS - 6) / 10));
  const short = long / 2;
  const vsPeculiar: BenchRow[] = [];
  const fastRate: Partial<Record<DevCaKind, number>> = {};
  for (const kind of ["ed25519", "ecdsa", "rsa"] as const) {
    const dev = await createDevCa(kind);
    const ca = await loadTalosCa(dev);
    const issuer = createCertIssuer(ca);
    const reference = await peculiarIssuer(ca, dev.keyPem);
    const seconds = kind === "ed25519" ? long : short;
    const fast = await rate(seconds, () => issuer.issue({ ...REQUEST, now: new Date() }));
    const slow = await rate(seconds, reference);
    fastRate[kind] = fast;
    ctx.log(`${kind} CA: fast ${round(fast)}/s, @peculiar/x509 ${round(slow)}/s`);
    vsPeculiar.push({
      name: `issue() ${ca.keyType} CA, server-made ${kind === "ecdsa" ? "P-256" : "Ed25519"} leaf key`,
      value: round(fast),
      unit: "certs/s",
      baseline: "@peculiar/x509 + WebCrypto, same certificate",
      baselineValue: round(slow),
      ratio: ratio(fast, slow),
    });
  }
  const edDev = await createDevCa("ed25519");
  const edIssuer = createCertIssuer(await loadTalosCa(edDev));
  const csrKey = await toCryptoKeys(generateKeyPairSync("ed25519").privateKey);
  const csrPem = (await x509.Pkcs10CertificateRequestGenerator.create({
    name: "CN=x",
    keys: csrKey,
    signingAlgorithm: csrKey.signAlg,
  })).toString("pem");
  const csrRate = await rate(short, () => edIssuer.issue({ ...REQUEST, now: new Date(), csrPem }));
  const edKey = keyFromPem(edDev.keyPem);
  const tbs = Buffer.alloc(400, 1);
  const nodeSign = await rate(short, () => sign(null, tbs, edKey));
  const sections: BenchSection[] = [{
    title:
      "Certificate issuance, one core: fast DER template vs @peculiar/x509 (same certificate, key generation included)",
    rows: vsPeculiar,
    notes: [
      `Sequential awaits, ~${long.toFixed(2)} s (Ed25519) / ${
        short.toFixed(2)
      } s (others) per figure; higher is better.`,
      "RSA CA: 2048-bit; the leaf key is Ed25519 for RSA CAs (see leaf_key.ts), so both sides generate Ed25519.",
    ],
  }];
  const withOpenssl = (row: BenchRow): BenchRow =>
    osslSign === undefined ? row : {
      ...row,
      baseline: "openssl speed ed25519 sign/s",
      baselineValue: round(osslSign),
      ratio: ratio(row.value, osslSign),
    };
  sections.push({
    title: "Against OpenSSL on this machine (openssl speed, one core)",
    rows: [
      { name: "issue() Ed25519 CA, server-made key", value: round(fastRate.ed25519!), unit: "certs/s" },
      {
        name: "issue() Ed25519 CA, CSR mode (Ed25519 CSR verified, no key generation)",
        value: round(csrRate),
        unit: "certs/s",
      },
      { name: "node:crypto Ed25519 sign (400-byte TBS)", value: round(nodeSign), unit: "signs/s" },
    ].map(withOpenssl),
    notes: [
      `openssl speed -seconds ${OPENSSL_SECONDS} ed25519, run first in the same run; ratio = ours / openssl sign/s.`,
      "One issued certificate costs one Ed25519 signature plus, without a CSR, one key generation (and a CSR check).",
    ],
  });
  return sections;
}
