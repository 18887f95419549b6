/** @module Read a private key PEM block the way Go's tls.X509KeyPair does: PKCS#8, PKCS#1 or SEC1 whatever the label. */

import { Buffer } from "node:buffer";
import { createPrivateKey, type KeyObject } from "node:crypto";
import type { PemBlock } from "./pem.ts";

type KeyFormat = "pkcs8" | "pkcs1" | "sec1";

/** Try the label's own format first (`RSA PRIVATE KEY` → PKCS#1, `EC PRIVATE KEY` → SEC1, others PKCS#8). */
function formatsFor(label: string): KeyFormat[] {
  if (label === "RSA PRIVATE KEY") return ["pkcs1", "pkcs8", "sec1"];
  if (label === "EC PRIVATE KEY") return ["sec1", "pkcs8", "pkcs1"];
  return ["pkcs8", "pkcs1", "sec1"];
}

/**
 * The private key in `block`, or undefined when no format reads it.
 * Talos labels Ed25519 keys `ED25519 PRIVATE KEY` with PKCS#8 inside.
 */
export function parsePrivateKey(block: PemBlock): KeyObject | undefined {
  const der = Buffer.from(block.der.buffer, block.der.byteOffset, block.der.byteLength);
  for (const type of formatsFor(block.label)) {
    try {
      return createPrivateKey({ key: der, format: "der", type });
    } catch {
      // next format
    }
  }
  return undefined;
}
