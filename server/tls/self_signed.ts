/** @module Self-signed TLS material: an ECDSA P-256 CA and server leaves it signs, plus PEM inspection helpers. */

import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import { createHash, createPrivateKey, createPublicKey, X509Certificate } from "node:crypto";
import { isIP } from "node:net";

/** A certificate (chain) and its private key, both PEM. */
export interface PemPair {
  certPem: string;
  keyPem: string;
}

const EC_KEY = { name: "ECDSA", namedCurve: "P-256" } as const;
const EC_SIG = { name: "ECDSA", hash: "SHA-256" } as const;
const DAY_MS = 86_400_000;
/** The CA lives ten years, as in the original tool; clients pin it with --server-ca. */
const CA_VALIDITY_MS = 3650 * DAY_MS;
/** Leaves are short-lived and renewed from the same CA, so pins keep working. */
export const LEAF_VALIDITY_MS = 90 * DAY_MS;
const BACKDATE_MS = 60_000;

/** SANs every self-signed leaf carries, plus the listen host and `tls_san`. */
export function serverSans(listenHost: string, extra: readonly string[]): string[] {
  const host = listenHost === "0.0.0.0" || listenHost === "::" ? "" : listenHost;
  return [...new Set(["localhost", "127.0.0.1", "::1", host, ...extra].filter(Boolean))];
}

/** A new CA: `CN=talosctl-oidc self-signed CA, O=talosctl-oidc`, CA:true, keyCertSign|cRLSign. */
export async function generateTlsCa(now: Date): Promise<PemPair> {
  x509.cryptoProvider.set(crypto);
  const keys = await crypto.subtle.generateKey(EC_KEY, true, ["sign", "verify"]) as CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: "CN=talosctl-oidc self-signed CA, O=talosctl-oidc",
    notBefore: new Date(now.getTime() - BACKDATE_MS),
    notAfter: new Date(now.getTime() + CA_VALIDITY_MS),
    signingAlgorithm: EC_SIG,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certPem: cert.toString("pem") + "\n", keyPem: await toSec1Pem(keys.privateKey) };
}

/** A server leaf signed by `ca`: EKU serverAuth, the given DNS/IP SANs, at most LEAF_VALIDITY_MS. */
export async function issueServerCert(ca: PemPair, sans: readonly string[], now: Date): Promise<PemPair> {
  x509.cryptoProvider.set(crypto);
  const caCert = new x509.X509Certificate(ca.certPem);
  const caKey = await crypto.subtle.importKey("pkcs8", pkcs8Der(ca.keyPem), EC_KEY, false, ["sign"]);
  const keys = await crypto.subtle.generateKey(EC_KEY, true, ["sign", "verify"]) as CryptoKeyPair;
  const notAfter = Math.min(now.getTime() + LEAF_VALIDITY_MS, caCert.notAfter.getTime());
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: "CN=talosctl-oidc server, O=talosctl-oidc",
    issuer: caCert.subjectName,
    notBefore: new Date(now.getTime() - BACKDATE_MS),
    notAfter: new Date(notAfter),
    signingAlgorithm: EC_SIG,
    publicKey: keys.publicKey,
    signingKey: caKey,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(
        sans.map((value) => ({ type: isIP(value) ? "ip" as const : "dns" as const, value })),
      ),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(caCert),
    ],
  });
  return { certPem: cert.toString("pem") + "\n", keyPem: await toSec1Pem(keys.privateKey) };
}

/** What the renewal logic needs to know about a certificate PEM (the first block of a chain). */
export interface CertFacts {
  notAfter: Date;
  /** Lowercase hex SHA-256 of the DER. */
  fingerprint: string;
  isCa: boolean;
  /** DNS names and IP addresses in the SAN extension, normalised. */
  sans: string[];
}

/** Parse a certificate PEM. @throws {Error} when it is not a certificate. */
export function certFacts(pem: string): CertFacts {
  const c = new X509Certificate(pem);
  const sans = (c.subjectAltName ?? "").split(/,\s*/).map((s) => s.replace(/^(DNS:|IP Address:)/, "")).filter(Boolean);
  return {
    notAfter: c.validToDate,
    fingerprint: createHash("sha256").update(c.raw).digest("hex"),
    isCa: c.ca,
    sans: sans.map(normaliseIp),
  };
}

/** True when `keyPem` is the private key for the certificate's public key. */
export function keyMatchesCert(certPem: string, keyPem: string): boolean {
  const pub = (k: ReturnType<typeof createPublicKey>) => k.export({ type: "spki", format: "der" }).toString("hex");
  return pub(new X509Certificate(certPem).publicKey) === pub(createPublicKey(createPrivateKey(keyPem)));
}

/** True when `leafPem` was signed by the CA in `caPem`. */
export function issuedBy(leafPem: string, caPem: string): boolean {
  const leaf = new X509Certificate(leafPem), ca = new X509Certificate(caPem);
  return leaf.checkIssued(ca) && leaf.verify(ca.publicKey);
}

/** True when every required SAN is in the certificate. */
export function coversSans(certPem: string, required: readonly string[]): boolean {
  const have = new Set(certFacts(certPem).sans);
  return required.every((s) => have.has(normaliseIp(s)));
}

/** PKCS#8 DER of any PEM private key (PKCS#8, SEC1 `EC PRIVATE KEY`, PKCS#1). */
function pkcs8Der(pem: string): Uint8Array<ArrayBuffer> {
  const der = createPrivateKey(pem).export({ type: "pkcs8", format: "der" });
  return new Uint8Array(der);
}

/** SEC1 `EC PRIVATE KEY` PEM, the layout the original tool wrote into data_dir. */
async function toSec1Pem(key: CryptoKey): Promise<string> {
  const der = new Uint8Array(await crypto.subtle.exportKey("pkcs8", key));
  return createPrivateKey({ key: Buffer.from(der), format: "der", type: "pkcs8" })
    .export({ type: "sec1", format: "pem" }).toString();
}

function randomSerial(): string {
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[0] = b[0]! & 0x7f || 0x01; // positive and 16 bytes long
  return [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
}

function normaliseIp(s: string): string {
  if (isIP(s) !== 6) return s.toLowerCase();
  const full = new URL(`http://[${s}]/`).hostname;
  return full.slice(1, -1);
}
