/** @module Tests of the BigInt RSASSA-PKCS1-v1_5 path: agreement with node:crypto and refusal of known forgeries. */

import { Buffer } from "node:buffer";
import { createHash, generateKeyPairSync, type KeyObject, sign, verify } from "node:crypto";
import { assert, assertEquals } from "../../tests/helpers/assert.ts";
import { rawRsaSign } from "../../tests/helpers/jws_forge.ts";
import { modPow, type RsaHash, type RsaPublicKey, rsaPublicKey, toBigInt, verifyRsaPkcs1 } from "./rsa_pkcs1.ts";

function publicOf(key: KeyObject): RsaPublicKey {
  const jwk = key.export({ format: "jwk" });
  return rsaPublicKey(Buffer.from(jwk.n!, "base64url"), Buffer.from(jwk.e!, "base64url"));
}

function bigToBytes(x: bigint, length: number): Uint8Array {
  return Buffer.from(x.toString(16).padStart(length * 2, "0"), "hex");
}

/** Smallest r with r^3 >= x (integer cube root, rounded up). */
function cubeRootCeil(x: bigint): bigint {
  let lo = 0n;
  let hi = 1n << BigInt(Math.ceil(x.toString(2).length / 3) + 1);
  while (lo < hi) {
    const mid = (lo + hi) / 2n;
    if (mid * mid * mid < x) lo = mid + 1n;
    else hi = mid;
  }
  return lo;
}

Deno.test("verifyRsaPkcs1() accepts exactly what node:crypto signs, for every hash and several key sizes", () => {
  for (const bits of [2048, 3072, 2056]) {
    const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: bits });
    const key = publicOf(publicKey);
    for (const hash of ["sha256", "sha384", "sha512"] as RsaHash[]) {
      for (const input of ["a.b", "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9", "x".repeat(5000)]) {
        const sig = sign(hash, Buffer.from(input), privateKey);
        assert(verifyRsaPkcs1(key, hash, input, sig), `${bits} ${hash}`);
        assertEquals(verifyRsaPkcs1(key, hash, `${input}!`, sig), false);
        assertEquals(verifyRsaPkcs1(key, hash === "sha256" ? "sha384" : "sha256", input, sig), false);
      }
    }
  }
});

Deno.test("verifyRsaPkcs1() refuses signatures of the wrong length or not below the modulus", () => {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const key = publicOf(publicKey);
  const sig = sign("sha256", Buffer.from("a.b"), privateKey);
  assertEquals(verifyRsaPkcs1(key, "sha256", "a.b", Buffer.concat([Buffer.of(0), sig])), false);
  assertEquals(verifyRsaPkcs1(key, "sha256", "a.b", sig.subarray(1)), false);
  assertEquals(verifyRsaPkcs1(key, "sha256", "a.b", new Uint8Array(0)), false);
  // s + n is the same residue: a verifier that reduces s first would accept it; RFC 8017 §5.2.2 says no.
  const wrapped = toBigInt(sig) + key.n;
  if (wrapped < 1n << BigInt(key.k * 8)) {
    assertEquals(verifyRsaPkcs1(key, "sha256", "a.b", bigToBytes(wrapped, key.k)), false);
  }
  assertEquals(verifyRsaPkcs1(key, "sha256", "a.b", bigToBytes(key.n, key.k)), false);
});

Deno.test("verifyRsaPkcs1() takes a genuine e=3 signature and refuses a Bleichenbacher e=3 forgery", () => {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048, publicExponent: 3 });
  const key = publicOf(publicKey);
  assertEquals(key.e, 3n);
  const input = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJyb290In0";
  // Any odd e >= 3 is a valid RSA key (RFC 8017 §3.1), so a genuine signature under e = 3 verifies.
  assert(verifyRsaPkcs1(key, "sha256", input, sign("sha256", Buffer.from(input), privateKey)), "genuine e=3");
  const h = createHash("sha256").update(input).digest("hex");
  // 00 01 FF 00 DigestInfo H, then garbage: what a parser that stops after the hash would accept.
  const prefix = "0001ff00" + "3031300d060960864801650304020105000420" + h;
  const garbageBits = BigInt(key.k * 8 - prefix.length * 4);
  const target = BigInt("0x" + prefix) << garbageBits;
  const s = cubeRootCeil(target);
  const m = modPow(s, 3n, key.n);
  const recovered = m.toString(16).padStart(key.k * 2, "0");
  assert(recovered.startsWith(prefix), "the forgery fools a loose parser");
  assertEquals(verifyRsaPkcs1(key, "sha256", input, bigToBytes(s, key.k)), false);
});

Deno.test("verifyRsaPkcs1() refuses a block with any single bit wrong, as node:crypto does", () => {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const key = publicOf(publicKey);
  const input = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9";
  const sig = sign("sha256", Buffer.from(input), privateKey);
  const em = bigToBytes(modPow(toBigInt(sig), key.e, key.n), key.k);
  assert(
    verifyRsaPkcs1(key, "sha256", input, rawRsaSign(privateKey, em, key.k)),
    "re-signing the untouched block verifies",
  );
  for (let i = 0; i < em.length; i++) {
    const bad = Uint8Array.from(em);
    bad[i]! ^= 1 << (i % 8);
    if (toBigInt(bad) >= key.n) continue;
    const forged = rawRsaSign(privateKey, bad, key.k);
    assertEquals(verifyRsaPkcs1(key, "sha256", input, forged), false, `byte ${i}`);
    assertEquals(verify("sha256", Buffer.from(input), publicKey, forged), false, `byte ${i}`);
  }
});

Deno.test("modPow() agrees with repeated multiplication", () => {
  const n = (1n << 127n) - 1n;
  for (const [b, e] of [[2n, 10n], [12345678901234567890n, 65537n], [3n, 1n], [5n, 0n]] as const) {
    let expected = 1n;
    for (let i = 0n; i < e; i++) expected = (expected * b) % n;
    assertEquals(modPow(b, e, n), expected);
  }
});

Deno.test("verifyRsaPkcs1() refuses a key too short for the hash's encoding (RFC 8017 §9.2), every time it is asked", () => {
  // 512-bit key: SHA-256 leaves 10 bytes of padding (allowed); SHA-512 would need 86 bytes, so no encoding exists
  // and the answer is false (a negative padding length must not throw).
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 512 });
  const key = publicOf(publicKey);
  const sig = sign("sha256", Buffer.from("a.b"), privateKey);
  for (let i = 0; i < 2; i++) { // the second round takes the cached prefix
    assert(verifyRsaPkcs1(key, "sha256", "a.b", sig));
    assertEquals(verifyRsaPkcs1(key, "sha512", "a.b", sig), false);
  }
});
