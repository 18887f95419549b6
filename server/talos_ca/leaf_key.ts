/** @module Fresh key pairs for issued certificates, fast: Ed25519 from a random seed, P-256 from node:crypto. */

import { Buffer } from "node:buffer";
import { createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes } from "node:crypto";
import { concat, hex } from "./der.ts";
import { toPem } from "./pem.ts";
import type { CaKeyType } from "./types.ts";

export type LeafKeyType = "ed25519" | "ecdsa-p256";

/** A fresh leaf key: its SubjectPublicKeyInfo DER and the private key PEM handed to the user. */
export interface LeafKey {
  spki: Uint8Array;
  keyPem: string;
}

/** RFC 8410 PKCS#8 prefix for an Ed25519 private key (what Go's x509.MarshalPKCS8PrivateKey writes). */
const ED25519_PKCS8_PREFIX = hex("302e020100300506032b657004220420");

/**
 * Leaf key type for a CA: Talos's own profile follows the CA (Ed25519 → Ed25519, ECDSA → P-256), but for an RSA CA
 * we issue Ed25519: generating an RSA key costs ~100 ms, Go's crypto/tls (apid, talosctl) accepts an Ed25519 client
 * certificate under any CA, and the chain is verified with the CA's own algorithm either way.
 */
export function leafKeyTypeFor(ca: CaKeyType): LeafKeyType {
  return ca === "ecdsa-p256" || ca === "ecdsa-p384" ? "ecdsa-p256" : "ed25519";
}

/** Generate a leaf key. Ed25519 PEM is labelled `ED25519 PRIVATE KEY` (Talos), P-256 `EC PRIVATE KEY` (SEC1). */
export function generateLeafKey(type: LeafKeyType): LeafKey {
  if (type === "ed25519") {
    // The private key is the 32-byte seed (RFC 8032 §5.1.5): PKCS#8 is a fixed prefix + seed.
    const pkcs8 = concat(ED25519_PKCS8_PREFIX, randomBytes(32));
    const priv = createPrivateKey({ key: Buffer.from(pkcs8.buffer), format: "der", type: "pkcs8" });
    const spki = createPublicKey(priv).export({ type: "spki", format: "der" });
    const keyPem = toPem("ED25519 PRIVATE KEY", pkcs8);
    pkcs8.fill(0);
    return { spki: new Uint8Array(spki), keyPem };
  }
  const { publicKey, privateKey } = generateKeyPairSync("ec", {
    namedCurve: "P-256",
    publicKeyEncoding: { type: "spki", format: "der" },
    privateKeyEncoding: { type: "sec1", format: "der" },
  });
  return { spki: new Uint8Array(publicKey), keyPem: toPem("EC PRIVATE KEY", new Uint8Array(privateKey)) };
}
