/** @module Fresh key pairs for issued certificates, fast: Ed25519 from a random seed, P-256 from node:crypto. */

import { Buffer } from "node:buffer";
import { createPrivateKey, createPublicKey, generateKeyPairSync, randomFillSync } from "node:crypto";
import { TAG } from "./der.ts";
import { encode, node, oid } from "./der_write.ts";
import { toPem } from "./pem.ts";
import type { CaKeyType } from "./types.ts";

export type LeafKeyType = "ed25519" | "ecdsa-p256";

/** A fresh leaf key: its SubjectPublicKeyInfo DER and the private key PEM handed to the user. */
export interface LeafKey {
  spki: Uint8Array;
  keyPem: string;
}

const SEED_BYTES = 32;
/**
 * PKCS#8 of an Ed25519 key with an all-zero seed: version 0, the Ed25519 AlgorithmIdentifier (no parameters), and the
 * 32-byte seed (RFC 8032 §5.1.5) as an OCTET STRING inside the privateKey OCTET STRING (RFC 8410 §7), as Go's
 * x509.MarshalPKCS8PrivateKey writes it. A key is a copy with its last 32 bytes made random.
 */
const ED25519_PKCS8_TEMPLATE = encode(node(
  TAG.SEQUENCE,
  node(TAG.INTEGER, Uint8Array.of(0)),
  node(TAG.SEQUENCE, oid("1.3.101.112")),
  node(TAG.OCTET_STRING, node(TAG.OCTET_STRING, new Uint8Array(SEED_BYTES))),
));

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
    const pkcs8 = ED25519_PKCS8_TEMPLATE.slice();
    randomFillSync(pkcs8, pkcs8.length - SEED_BYTES);
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
