/** @module Load the Talos OS CA (certificate + key), refuse anything apid would not chain to, keep what signing needs. */

import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import { Buffer } from "node:buffer";
import { createHash, createPublicKey, type KeyObject } from "node:crypto";
import { TalosOidcError } from "../../shared/errors.ts";
import { TAG, toHex } from "./der.ts";
import { readChildren, readOnly } from "./der_read.ts";
import { parsePrivateKey } from "./private_key.ts";
import { pemBlocks, pemText, toPem } from "./pem.ts";
import type { CaKeyType, TalosCa } from "./types.ts";

/** A Talos CA ready for signing. `signingKey` is non-enumerable so that logging or JSON never shows it. */
export interface LoadedCa extends TalosCa {
  /** DER of the CA certificate. */
  readonly certDer: Uint8Array;
  /** The CA certificate's subject Name, DER bytes verbatim: Go matches a leaf's issuer to it byte for byte. */
  readonly subjectDer: Uint8Array;
  /** Key identifier for the leaves' AuthorityKeyIdentifier: the CA's SKI, else SHA-1 of its public key. */
  readonly keyId: Uint8Array;
  readonly notBefore: Date;
  /** The CA private key (node:crypto). */
  readonly signingKey: KeyObject;
}

export interface LoadTalosCaInput {
  /** CA certificate: PEM, or base64 of PEM as in controlplane.yaml / secrets.yaml. */
  certPem: string;
  /** CA private key: PEM (`ED25519 PRIVATE KEY`, `PRIVATE KEY`, `EC PRIVATE KEY`, `RSA PRIVATE KEY`) or base64 of PEM. */
  keyPem: string;
  /** Clock for the validity checks (default: now). */
  now?: Date;
}

const CA_HINT = "use machine.ca.crt/key from controlplane.yaml or certs.os.crt/key from secrets.yaml";

function caError(message: string, hint: string, cause?: unknown): TalosOidcError {
  return new TalosOidcError("ERR_CA", message, { hint, cause });
}

/**
 * Load and check a Talos CA: the key must match a CA certificate (BasicConstraints CA true) that is valid now.
 * Throws TalosOidcError ERR_CA with a hint; messages never contain key material.
 */
export function loadTalosCa(input: LoadTalosCaInput): Promise<LoadedCa> {
  try {
    return Promise.resolve(load(input));
  } catch (err) {
    return Promise.reject(err);
  }
}

function load({ certPem, keyPem, now = new Date() }: LoadTalosCaInput): LoadedCa {
  const certDers = readCertificates(certPem);
  const { key, keyType } = readKey(keyPem);
  const keySpki = spkiOf(createPublicKey(key));
  let certDer: Uint8Array | undefined;
  let spkiBits: Uint8Array | undefined;
  let subjectDer: Uint8Array | undefined;
  for (const der of certDers) {
    const parts = certParts(der);
    let spki: Uint8Array;
    try {
      spki = spkiOf(createPublicKey({ key: Buffer.from(parts.spki), format: "der", type: "spki" }));
    } catch {
      continue; // a certificate whose key node:crypto cannot read cannot be ours
    }
    if (Buffer.compare(spki, keySpki) === 0) {
      [certDer, spkiBits, subjectDer] = [der, parts.spkiBits, parts.subject];
      break;
    }
  }
  if (!certDer || !spkiBits || !subjectDer) {
    throw caError(
      "checking the CA key: it does not match the CA certificate's public key",
      `give the key that belongs to this certificate; ${CA_HINT}`,
    );
  }
  const cert = new x509.X509Certificate(Uint8Array.from(certDer));
  const bc = cert.getExtension(x509.BasicConstraintsExtension);
  if (!bc?.ca) {
    throw caError(
      `checking the CA certificate "${cert.subject}": it is not a CA certificate (BasicConstraints CA is not true)`,
      `this looks like a client or server certificate; ${CA_HINT}`,
    );
  }
  const ku = cert.getExtension(x509.KeyUsagesExtension);
  if (ku && !(ku.usages & x509.KeyUsageFlags.keyCertSign)) {
    throw caError(
      `checking the CA certificate "${cert.subject}": its KeyUsage does not allow certificate signing`,
      CA_HINT,
    );
  }
  if (now.getTime() > cert.notAfter.getTime()) {
    throw caError(
      `checking the CA certificate "${cert.subject}": it expired at ${cert.notAfter.toISOString()}`,
      "rotate the Talos OS CA (talosctl docs: CA rotation) and load the new one",
    );
  }
  if (now.getTime() < cert.notBefore.getTime()) {
    throw caError(
      `checking the CA certificate "${cert.subject}": it is not valid before ${cert.notBefore.toISOString()}`,
      "check this machine's clock",
    );
  }
  const ski = cert.getExtension(x509.SubjectKeyIdentifierExtension);
  // RFC 5280 §4.2.1.2 method (1) when the CA has no SKI: SHA-1 of the subjectPublicKey BIT STRING value.
  const keyId = ski ? Uint8Array.from(Buffer.from(ski.keyId, "hex")) : sha(spkiBits, "sha1");
  const ca = {
    certPem: toPem("CERTIFICATE", certDer),
    keyType,
    fingerprint: toHex(sha(certDer, "sha256")),
    subject: cert.subject,
    notAfter: cert.notAfter,
    notBefore: cert.notBefore,
    certDer,
    subjectDer,
    keyId,
  };
  Object.defineProperty(ca, "signingKey", { value: key, enumerable: false });
  return Object.freeze(ca) as LoadedCa;
}

function readCertificates(certPem: string): Uint8Array[] {
  const text = pemText(certPem);
  if (text === undefined) {
    throw caError("reading the CA certificate: it is neither PEM nor base64 of PEM", CA_HINT);
  }
  let blocks;
  try {
    blocks = pemBlocks(text);
  } catch (err) {
    throw caError("reading the CA certificate: its PEM is damaged", CA_HINT, err);
  }
  const ders = blocks.filter((b) => b.label === "CERTIFICATE").map((b) => b.der);
  if (ders.length === 0) {
    const swapped = blocks.some((b) => b.label.endsWith("PRIVATE KEY"));
    throw caError(
      `reading the CA certificate: it holds no CERTIFICATE block${swapped ? " but a private key" : ""}`,
      swapped ? "the certificate and key inputs look swapped" : CA_HINT,
    );
  }
  return ders;
}

function readKey(keyPem: string): { key: KeyObject; keyType: CaKeyType } {
  const text = pemText(keyPem);
  if (text === undefined) throw caError("reading the CA key: it is neither PEM nor base64 of PEM", CA_HINT);
  let blocks;
  try {
    blocks = pemBlocks(text);
  } catch (err) {
    throw caError("reading the CA key: its PEM is damaged", CA_HINT, err);
  }
  const block = blocks.find((b) => b.label.endsWith("PRIVATE KEY"));
  if (!block) {
    const swapped = blocks.some((b) => b.label === "CERTIFICATE");
    throw caError(
      `reading the CA key: it holds no PRIVATE KEY block${swapped ? " but a certificate" : ""}`,
      swapped ? "the certificate and key inputs look swapped" : CA_HINT,
    );
  }
  if (block.label === "ENCRYPTED PRIVATE KEY" || block.hasHeaders) {
    throw caError(
      "reading the CA key: it is encrypted",
      "decrypt it first (openssl pkey -in key.pem -out plain.pem) and keep the result 0600",
    );
  }
  const parsed = parsePrivateKey(block);
  if (parsed === undefined) {
    throw caError(
      `reading the CA key: the "${block.label}" block is not a PKCS#8, PKCS#1 or SEC1 private key`,
      CA_HINT,
    );
  }
  const keyType = caKeyType(parsed);
  if (keyType === undefined) {
    throw caError(
      `reading the CA key: unsupported key type "${describeKey(parsed)}"`,
      "Talos CAs are Ed25519 (default), ECDSA P-256/P-384 or RSA ≥ 2048 bits",
    );
  }
  return { key: parsed, keyType };
}

function caKeyType(key: KeyObject): CaKeyType | undefined {
  const d = key.asymmetricKeyDetails ?? {};
  switch (key.asymmetricKeyType) {
    case "ed25519":
      return "ed25519";
    case "ec":
      return d.namedCurve === "prime256v1" ? "ecdsa-p256" : d.namedCurve === "secp384r1" ? "ecdsa-p384" : undefined;
    case "rsa":
      return (d.modulusLength ?? 0) >= 2048 ? "rsa" : undefined;
  }
  return undefined;
}

function describeKey(key: KeyObject): string {
  const d = key.asymmetricKeyDetails ?? {};
  return [key.asymmetricKeyType, d.namedCurve, d.modulusLength && `${d.modulusLength} bits`].filter(Boolean).join(" ");
}

/** Subject Name TLV, SubjectPublicKeyInfo TLV and its BIT STRING value from a certificate DER. */
function certParts(der: Uint8Array): { subject: Uint8Array; spki: Uint8Array; spkiBits: Uint8Array } {
  try {
    const tbs = readChildren(readOnly(der, TAG.SEQUENCE))[0];
    if (!tbs) throw new SyntaxError("no TBSCertificate");
    const f = readChildren(tbs);
    const i = f[0]?.tag === 0xa0 ? 1 : 0; // [0] version is optional (v1)
    const subject = f[i + 4];
    const spki = f[i + 5];
    const bits = spki && readChildren(spki)[1];
    if (!subject || !spki || !bits || bits.tag !== TAG.BIT_STRING) throw new SyntaxError("short TBSCertificate");
    return { subject: subject.raw, spki: spki.raw, spkiBits: bits.content.subarray(1) };
  } catch (err) {
    throw caError("reading the CA certificate: it is not a valid X.509 certificate", CA_HINT, err);
  }
}

function spkiOf(key: KeyObject): Buffer {
  return key.export({ type: "spki", format: "der" });
}

function sha(data: Uint8Array, alg: "sha1" | "sha256"): Uint8Array {
  return new Uint8Array(createHash(alg).update(data).digest());
}
