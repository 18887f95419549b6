/** @module Test CAs shaped like Talos's own (`talosctl gen secrets`), leaves signed with @peculiar/x509, config fixtures. */

import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import { Buffer } from "node:buffer";
import crypto, { createPrivateKey, generateKeyPairSync, type KeyObject } from "node:crypto";

export type DevCaKind = "ed25519" | "ecdsa" | "rsa";

export interface DevCaOptions {
  /** ECDSA curve (default P-256, as Talos). */
  curve?: "P-256" | "P-384";
  /** RSA modulus bits (default 2048; Talos uses 4096, which is slow to generate). */
  rsaBits?: number;
  /** Key PEM form. "talos" (default): Ed25519 → `ED25519 PRIVATE KEY` (PKCS#8), ECDSA → SEC1, RSA → PKCS#1. */
  keyForm?: "talos" | "pkcs8" | "sec1" | "pkcs1";
  /** Subject DN (default "O=talos"). */
  subject?: string;
  notBefore?: Date;
  /** Default: notBefore + 10 years. */
  notAfter?: Date;
  /** BasicConstraints CA (default true). */
  isCa?: boolean;
  /** Add a SubjectKeyIdentifier (default true; random 20 bytes, like siderolabs/crypto). */
  ski?: boolean;
  /** Key material (default: a fresh key of `kind`). */
  key?: KeyObject;
}

export interface DevCa {
  kind: DevCaKind;
  certPem: string;
  keyPem: string;
}

const DAY = 86_400_000;

/** WebCrypto parameters for importing a key of `kind` and signing with it. */
function algorithms(
  key: KeyObject,
): { importAlg: EcKeyImportParams | RsaHashedImportParams | Algorithm; signAlg: Algorithm } {
  const type = key.asymmetricKeyType;
  if (type === "ed25519") return { importAlg: { name: "Ed25519" }, signAlg: { name: "Ed25519" } };
  if (type === "ec") {
    const p384 = key.asymmetricKeyDetails?.namedCurve === "secp384r1";
    return {
      importAlg: { name: "ECDSA", namedCurve: p384 ? "P-384" : "P-256" } as EcKeyImportParams,
      signAlg: { name: "ECDSA", hash: p384 ? "SHA-384" : "SHA-256" } as EcdsaParams,
    };
  }
  const rsa = { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" };
  return { importAlg: rsa, signAlg: rsa };
}

/** A node:crypto private key as a WebCrypto signing key (for @peculiar/x509). */
export async function toCryptoKeys(key: KeyObject): Promise<CryptoKeyPair & { signAlg: Algorithm }> {
  x509.cryptoProvider.set(crypto as unknown as Crypto);
  const { importAlg, signAlg } = algorithms(key);
  const pkcs8 = key.export({ type: "pkcs8", format: "der" });
  const spki = crypto.createPublicKey(key).export({ type: "spki", format: "der" });
  const privateKey = await crypto.subtle.importKey("pkcs8", pkcs8, importAlg, true, ["sign"]);
  const publicKey = await crypto.subtle.importKey("spki", spki, importAlg, true, ["verify"]);
  return { privateKey, publicKey, signAlg };
}

/** A fresh key of `kind`. */
export function generateDevKey(kind: DevCaKind, opts: Pick<DevCaOptions, "curve" | "rsaBits"> = {}): KeyObject {
  if (kind === "ed25519") return generateKeyPairSync("ed25519").privateKey;
  if (kind === "ecdsa") return generateKeyPairSync("ec", { namedCurve: opts.curve ?? "P-256" }).privateKey;
  return generateKeyPairSync("rsa", { modulusLength: opts.rsaBits ?? 2048 }).privateKey;
}

/** PEM of a private key in the given form. */
export function keyToPem(key: KeyObject, form: DevCaOptions["keyForm"] = "talos"): string {
  const type = key.asymmetricKeyType;
  if (form !== "talos") return key.export({ type: form, format: "pem" }) as string;
  if (type === "ed25519") {
    return (key.export({ type: "pkcs8", format: "pem" }) as string).replaceAll(
      " PRIVATE KEY-",
      " ED25519 PRIVATE KEY-",
    );
  }
  return key.export({ type: type === "ec" ? "sec1" : "pkcs1", format: "pem" }) as string;
}

/** Read any private key PEM this module writes, the Talos `ED25519 PRIVATE KEY` label included. */
export function keyFromPem(pem: string): KeyObject {
  return createPrivateKey(pem.replaceAll("ED25519 PRIVATE KEY", "PRIVATE KEY"));
}

/** A Talos-style OS CA: O=talos, 10 years, KeyUsage certSign+digitalSignature, EKU serverAuth+clientAuth, SKI. */
export async function createDevCa(kind: DevCaKind, opts: DevCaOptions = {}): Promise<DevCa> {
  const key = opts.key ?? generateDevKey(kind, opts);
  const keys = await toCryptoKeys(key);
  const notBefore = opts.notBefore ?? new Date(Date.now() - DAY);
  const notAfter = opts.notAfter ?? new Date(notBefore.getTime() + 3650 * DAY);
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(opts.isCa ?? true, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.digitalSignature, true),
    new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]),
  ];
  if (opts.ski ?? true) {
    extensions.push(new x509.SubjectKeyIdentifierExtension(Buffer.from(crypto.randomBytes(20)).toString("hex")));
  }
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: "01" + crypto.randomBytes(15).toString("hex"),
    name: opts.subject ?? "O=talos",
    notBefore,
    notAfter,
    keys,
    signingAlgorithm: keys.signAlg,
    extensions,
  });
  return { kind, certPem: cert.toString("pem") + "\n", keyPem: keyToPem(key, opts.keyForm) };
}

export interface DevLeafOptions {
  /** Subject as a JSON name, e.g. `[{ O: ["os:admin"] }, { CN: ["alice"] }]`. */
  subject: x509.JsonName;
  /** Extended key usages (default [clientAuth]). */
  eku?: string[];
  notBefore?: Date;
  notAfter?: Date;
  /** IP SANs (server certificates). */
  ips?: string[];
  /** Leaf key kind (default ed25519). */
  kind?: DevCaKind;
}

/** A leaf signed by `ca` with @peculiar/x509: server certs for the fake apid and deliberately wrong client certs. */
export async function signDevLeaf(ca: DevCa, opts: DevLeafOptions): Promise<{ certPem: string; keyPem: string }> {
  const caKeys = await toCryptoKeys(keyFromPem(ca.keyPem));
  const caCert = new x509.X509Certificate(ca.certPem);
  const leafKey = generateDevKey(opts.kind ?? "ed25519");
  const leafKeys = await toCryptoKeys(leafKey);
  const now = Date.now();
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
    new x509.ExtendedKeyUsageExtension(opts.eku ?? [x509.ExtendedKeyUsage.clientAuth]),
  ];
  const caSki = caCert.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId;
  if (caSki) extensions.push(new x509.AuthorityKeyIdentifierExtension(caSki));
  if (opts.ips?.length) {
    extensions.push(
      new x509.SubjectAlternativeNameExtension(opts.ips.map((value) => ({ type: "ip" as const, value }))),
    );
  }
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: "01" + crypto.randomBytes(15).toString("hex"),
    subject: opts.subject,
    issuer: caCert.subjectName,
    notBefore: opts.notBefore ?? new Date(now - 60_000),
    notAfter: opts.notAfter ?? new Date(now + DAY),
    publicKey: leafKeys.publicKey,
    signingKey: caKeys.privateKey,
    signingAlgorithm: caKeys.signAlg,
    extensions,
  });
  return { certPem: cert.toString("pem") + "\n", keyPem: leafKey.export({ type: "pkcs8", format: "pem" }) as string };
}

const b64 = (text: string) => Buffer.from(text).toString("base64");

/** A `talosctl gen secrets` style secrets.yaml holding `ca` as certs.os (base64 of PEM). */
export function talosSecretsYaml(ca: DevCa): string {
  return [
    "cluster:\n    id: dev\n    secret: c2VjcmV0\nsecrets:\n    bootstraptoken: abcdef.0123456789abcdef",
    "certs:\n    etcd:\n        crt: " + b64("not the os ca") + "\n        key: " + b64("not the os key"),
    `    os:\n        crt: ${b64(ca.certPem)}\n        key: ${b64(ca.keyPem)}\n`,
  ].join("\n");
}

/** A multi-document controlplane.yaml with machine.ca (base64 of PEM); `worker: true` leaves the key empty. */
export function machineConfigYaml(ca: DevCa, { worker = false } = {}): string {
  return [
    "version: v1alpha1",
    "machine:",
    `    type: ${worker ? "worker" : "controlplane"}`,
    "    token: abcdef.0123456789abcdef",
    "    ca:",
    `        crt: ${b64(ca.certPem)}`,
    `        key: ${worker ? '""' : b64(ca.keyPem)}`,
    "cluster:\n    clusterName: dev",
    "---",
    "apiVersion: v1alpha1\nkind: HostnameConfig\nauto: stable\n",
  ].join("\n");
}

/** Write talosSecretsYaml(ca) as `secrets.yaml` (0600) in `dir`; returns its path. */
export async function writeTalosSecretsYaml(dir: string, ca: DevCa): Promise<string> {
  const path = `${dir}/secrets.yaml`;
  await Deno.writeTextFile(path, talosSecretsYaml(ca), { mode: 0o600 });
  return path;
}

/**
 * The extensions of a Talos client certificate as @peculiar/x509 writes them (the reference our DER template is
 * compared with): KeyUsage digitalSignature (critical), ExtKeyUsage exactly clientAuth, not a CA, AKI from the CA.
 */
export function talosClientExtensions(caKeyIdHex: string): x509.Extension[] {
  return [
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
    new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth]),
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.AuthorityKeyIdentifierExtension(caKeyIdHex),
  ];
}
