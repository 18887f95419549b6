/** @module Fast RSASSA-PKCS1-v1_5 verification (RFC 8017 §8.2.2) with BigInt: s^e mod n against the whole EM block. */

import { Buffer } from "node:buffer";
import { createHash } from "node:crypto";

/** An RSA public key ready for the fast path. Built once per JWKS load. */
export interface RsaPublicKey {
  n: bigint;
  e: bigint;
  /** Modulus length in bytes (RFC 8017 `k`). */
  k: number;
  /** Modulus length in bits. */
  bits: number;
}

export type RsaHash = "sha256" | "sha384" | "sha512";

/** DER of DigestInfo up to the hash value (RFC 8017 §9.2 note 1). */
const DIGEST_INFO: Record<RsaHash, string> = {
  sha256: "3031300d060960864801650304020105000420",
  sha384: "3041300d060960864801650304020205000430",
  sha512: "3051300d060960864801650304020305000440",
};
const HASH_BYTES: Record<RsaHash, number> = { sha256: 32, sha384: 48, sha512: 64 };

/** Build the key from JWK `n` and `e` bytes (big-endian, RFC 7518 §6.3.1). */
export function rsaPublicKey(n: Uint8Array, e: Uint8Array): RsaPublicKey {
  const nn = toBigInt(n);
  const bits = nn === 0n ? 0 : nn.toString(2).length;
  return { n: nn, e: toBigInt(e), k: Math.ceil(bits / 8), bits };
}

/** Big-endian bytes to a non-negative BigInt. */
export function toBigInt(bytes: Uint8Array): bigint {
  if (bytes.length === 0) return 0n;
  return BigInt("0x" + Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString("hex"));
}

/**
 * s^e mod n, left-to-right square and multiply. Any public exponent works: importJwk (jwks_keys.ts) admits any odd
 * 3 <= e < 2^33, as RFC 8017 allows; IdPs use e = 65537: 16 squarings and one multiplication.
 */
export function modPow(base: bigint, exp: bigint, mod: bigint): bigint {
  let result = 1n;
  for (const bit of exp.toString(2)) {
    result = (result * result) % mod;
    if (bit === "1") result = (result * base) % mod;
  }
  return result;
}

/**
 * Verify an RSASSA-PKCS1-v1_5 signature over `signingInput` (ASCII). The signature must be exactly `k` bytes
 * and below n; the recovered integer must equal the *complete* encoding 0x00 0x01 FF..FF 0x00 DigestInfo H,
 * so nothing is parsed and no Bleichenbacher-style slack (short padding, trailing garbage, loose ASN.1) exists.
 * Every input here is public, so the comparison needs no constant time.
 */
export function verifyRsaPkcs1(key: RsaPublicKey, hash: RsaHash, signingInput: string, signature: Uint8Array): boolean {
  if (signature.length !== key.k) return false;
  const s = toBigInt(signature);
  if (s >= key.n) return false;
  const expected = expectedEncoding(key.k, hash, signingInput);
  // Both sides are integers below 256^k, so integer equality is equality of the k-byte blocks.
  return expected !== undefined && modPow(s, key.e, key.n) === expected;
}

/** 0x00 0x01 FF..FF 0x00 DigestInfo as an integer shifted left past the hash, per (k, hash); null: k too short. */
const prefixes = new Map<string, bigint | null>();

/** EMSA-PKCS1-v1_5-ENCODE (RFC 8017 §9.2) of the hash of `signingInput`, as an integer (undefined: k too short). */
function expectedEncoding(k: number, hash: RsaHash, signingInput: string): bigint | undefined {
  const id = `${k}:${hash}`;
  let prefix = prefixes.get(id);
  if (prefix === undefined) {
    const padding = k - 3 - DIGEST_INFO[hash].length / 2 - HASH_BYTES[hash];
    prefix = padding < 8 // "intended encoded message length too short"
      ? null
      : BigInt("0x1" + "ff".repeat(padding) + "00" + DIGEST_INFO[hash]) << BigInt(8 * HASH_BYTES[hash]);
    if (prefixes.size < 64) prefixes.set(id, prefix); // a handful of key sizes in practice; never unbounded
  }
  return prefix === null
    ? undefined
    : prefix | BigInt("0x" + createHash(hash).update(signingInput, "latin1").digest("hex"));
}
