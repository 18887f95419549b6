/** @module Fast RSASSA-PSS verification (RFC 8017 §8.1.2, §9.1.2) with BigInt, salt length = hash length (RFC 7518 §3.5). */

import { Buffer } from "node:buffer";
import { createHash } from "node:crypto";
import { modPow, type RsaHash, type RsaPublicKey, toBigInt } from "./rsa_pkcs1.ts";

const HASH_BYTES: Record<RsaHash, number> = { sha256: 32, sha384: 48, sha512: 64 };
const EIGHT_ZEROS = new Uint8Array(8);

/**
 * Verify a PS256/384/512 signature over `signingInput` (ASCII). Follows EMSA-PSS-VERIFY step by step: exact
 * signature length, s < n, EM fits emLen, trailer 0xbc, zero top bits, zero PS then 0x01, and H = Hash(M').
 */
export function verifyRsaPss(key: RsaPublicKey, hash: RsaHash, signingInput: string, signature: Uint8Array): boolean {
  if (signature.length !== key.k) return false;
  const s = toBigInt(signature);
  if (s >= key.n) return false;
  const hLen = HASH_BYTES[hash];
  const sLen = hLen;
  const emBits = key.bits - 1;
  const emLen = Math.ceil(emBits / 8);
  if (emLen < hLen + sLen + 2) return false;
  const hex = modPow(s, key.e, key.n).toString(16);
  if (hex.length > emLen * 2) return false; // I2OSP: integer too large
  const em = Buffer.from(hex.padStart(emLen * 2, "0"), "hex");
  if (em[emLen - 1] !== 0xbc) return false;
  const dbLen = emLen - hLen - 1;
  const h = em.subarray(dbLen, dbLen + hLen);
  const topMask = 0xff >>> (8 * emLen - emBits);
  if ((em[0]! & ~topMask) !== 0) return false;
  const db = mgf1(hash, h, dbLen);
  for (let i = 0; i < dbLen; i++) db[i]! ^= em[i]!;
  db[0]! &= topMask;
  const psLen = dbLen - sLen - 1;
  for (let i = 0; i < psLen; i++) if (db[i] !== 0) return false;
  if (db[psLen] !== 0x01) return false;
  const mHash = createHash(hash).update(signingInput, "latin1").digest();
  const expected = createHash(hash).update(EIGHT_ZEROS).update(mHash).update(db.subarray(dbLen - sLen)).digest();
  return expected.equals(h);
}

/** MGF1 (RFC 8017 §B.2.1) with the same hash. */
function mgf1(hash: RsaHash, seed: Uint8Array, length: number): Buffer {
  const out = Buffer.alloc(length);
  const counter = Buffer.alloc(4);
  for (let i = 0, at = 0; at < length; i++, at += HASH_BYTES[hash]) {
    counter.writeUInt32BE(i);
    createHash(hash).update(seed).update(counter).digest().copy(out, at);
  }
  return out;
}
