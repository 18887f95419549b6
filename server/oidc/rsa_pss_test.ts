/** @module Tests of the BigInt RSASSA-PSS path: exact agreement with node:crypto on valid and corrupted signatures. */

import { Buffer } from "node:buffer";
import { constants, generateKeyPairSync, type KeyObject, sign, verify } from "node:crypto";
import { assert, assertEquals } from "../../tests/helpers/assert.ts";
import { modPow, type RsaHash, type RsaPublicKey, rsaPublicKey, toBigInt } from "./rsa_pkcs1.ts";
import { verifyRsaPss } from "./rsa_pss.ts";
import { rawRsaSign } from "../../tests/helpers/jws_forge.ts";

const BYTES = { sha256: 32, sha384: 48, sha512: 64 } as const;

function publicOf(key: KeyObject): RsaPublicKey {
  const jwk = key.export({ format: "jwk" });
  return rsaPublicKey(Buffer.from(jwk.n!, "base64url"), Buffer.from(jwk.e!, "base64url"));
}

function nodePss(hash: RsaHash, input: string, key: KeyObject, sig: Uint8Array): boolean {
  try {
    return verify(hash, Buffer.from(input), {
      key,
      padding: constants.RSA_PKCS1_PSS_PADDING,
      saltLength: BYTES[hash],
    }, sig);
  } catch {
    return false;
  }
}

Deno.test("verifyRsaPss() agrees with node:crypto on valid and bit-flipped signatures, including odd modulus sizes", () => {
  // 2049 bits: emLen is one byte shorter than the modulus, the classic off-by-one spot.
  for (const bits of [2048, 2049, 3071]) {
    const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: bits });
    const key = publicOf(publicKey);
    for (const hash of ["sha256", "sha384", "sha512"] as RsaHash[]) {
      const input = `eyJhbGciOiJQUzI1NiJ9.${hash}.${bits}`;
      const sig = sign(hash, Buffer.from(input), {
        key: privateKey,
        padding: constants.RSA_PKCS1_PSS_PADDING,
        saltLength: BYTES[hash],
      });
      assert(verifyRsaPss(key, hash, input, sig), `${bits} ${hash}`);
      for (let i = 0; i < 40; i++) {
        const bad = Uint8Array.from(sig);
        bad[(i * 37) % bad.length]! ^= 1 << (i % 8);
        assertEquals(verifyRsaPss(key, hash, input, bad), nodePss(hash, input, publicKey, bad));
      }
      assertEquals(verifyRsaPss(key, hash, `${input}x`, sig), false);
    }
  }
});

Deno.test("verifyRsaPss() refuses a salt length other than the hash length", () => {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const key = publicOf(publicKey);
  for (const saltLength of [0, 20, 31, 33, 64]) {
    const sig = sign("sha256", Buffer.from("a.b"), {
      key: privateKey,
      padding: constants.RSA_PKCS1_PSS_PADDING,
      saltLength,
    });
    assertEquals(verifyRsaPss(key, "sha256", "a.b", sig), false, `salt ${saltLength}`);
  }
  const pkcs1 = sign("sha256", Buffer.from("a.b"), privateKey);
  assertEquals(verifyRsaPss(key, "sha256", "a.b", pkcs1), false);
});

Deno.test("verifyRsaPss() agrees with node:crypto when any single bit of the encoded message is wrong", () => {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const key = publicOf(publicKey);
  const input = "eyJhbGciOiJQUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9";
  const sig = sign("sha256", Buffer.from(input), {
    key: privateKey,
    padding: constants.RSA_PKCS1_PSS_PADDING,
    saltLength: 32,
  });
  const em = Buffer.from(modPow(toBigInt(sig), key.e, key.n).toString(16).padStart(key.k * 2, "0"), "hex");
  assert(
    verifyRsaPss(key, "sha256", input, rawRsaSign(privateKey, em, key.k)),
    "re-signing the untouched block verifies",
  );
  // Every byte of EM: padding string, the 0x01 separator, salt, H and the 0xbc trailer, one bit each.
  for (let i = 0; i < em.length; i++) {
    const bad = Buffer.from(em);
    bad[i]! ^= 1 << (i % 8);
    if (toBigInt(bad) >= key.n) continue;
    const forged = rawRsaSign(privateKey, bad, key.k);
    assertEquals(verifyRsaPss(key, "sha256", input, forged), nodePss("sha256", input, publicKey, forged), `byte ${i}`);
    assertEquals(verifyRsaPss(key, "sha256", input, forged), false, `byte ${i}`);
  }
});
