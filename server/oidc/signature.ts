/** @module Signature check for one JWS with the fastest correct primitive per family (see tests/bench/verify_bench.ts). */

import { Buffer } from "node:buffer";
import { verify as nodeVerify } from "node:crypto";
import type { AlgSpec } from "./algorithms.ts";
import type { JwkEntry } from "./jwks_keys.ts";
import { verifyRsaPkcs1 } from "./rsa_pkcs1.ts";
import { verifyRsaPss } from "./rsa_pss.ts";

const WEB_HASH = { sha256: "SHA-256", sha384: "SHA-384", sha512: "SHA-512" } as const;

/**
 * True when `signature` is `entry`'s valid `spec.alg` signature over `signingInput` (ASCII).
 * RS* and PS*: BigInt modexp, several times node:crypto here for the usual e = 65537 (any odd e >= 3 a JWK may carry
 * is verified, see rsa_pkcs1.ts); EdDSA: node:crypto; ES*: WebCrypto (faster than node:crypto under Deno).
 * Never throws for a bad signature; the caller has already matched the key to the alg.
 */
export function verifySignature(
  spec: AlgSpec,
  entry: JwkEntry,
  signingInput: string,
  signature: Uint8Array,
): boolean | Promise<boolean> {
  switch (spec.family) {
    case "RSA":
      return entry.rsa !== undefined && verifyRsaPkcs1(entry.rsa, spec.hash!, signingInput, signature);
    case "RSA-PSS":
      return entry.rsa !== undefined && verifyRsaPss(entry.rsa, spec.hash!, signingInput, signature);
    case "EC":
      if (entry.cryptoKey === undefined || signature.length !== spec.sigBytes) return false;
      return crypto.subtle.verify(
        { name: "ECDSA", hash: WEB_HASH[spec.hash!] },
        entry.cryptoKey,
        signature as Uint8Array<ArrayBuffer>,
        Buffer.from(signingInput, "latin1"),
      ).catch(() => false);
    case "OKP":
      if (entry.keyObject === undefined || signature.length !== spec.sigBytes) return false;
      return safely(() => nodeVerify(null, Buffer.from(signingInput, "latin1"), entry.keyObject!, signature));
  }
}

function safely(check: () => boolean): boolean {
  try {
    return check();
  } catch {
    return false;
  }
}
