/** @module Tests for leaf keys: the Ed25519 PKCS#8 bytes Go writes, a fresh seed each time, a matching SPKI. */

import { Buffer } from "node:buffer";
import { createPrivateKey, createPublicKey } from "node:crypto";
import { assertEquals, assertNotEquals } from "../../tests/helpers/assert.ts";
import { toHex } from "./der.ts";
import { generateLeafKey } from "./leaf_key.ts";
import { pemBlocks } from "./pem.ts";

Deno.test("generateLeafKey('ed25519') writes RFC 8410 PKCS#8 as Go does, with a fresh seed and its own SPKI", () => {
  const [a, b] = [generateLeafKey("ed25519"), generateLeafKey("ed25519")];
  const blocks = [a, b].map((k) => pemBlocks(k.keyPem)[0]!);
  for (const [i, block] of blocks.entries()) {
    assertEquals(block.label, "ED25519 PRIVATE KEY");
    assertEquals(block.der.length, 48);
    // What Go's x509.MarshalPKCS8PrivateKey writes before the 32-byte seed.
    assertEquals(toHex(block.der.subarray(0, 16)), "302e020100300506032b657004220420");
    const key = createPrivateKey({ key: Buffer.from(block.der), format: "der", type: "pkcs8" });
    const spki = createPublicKey(key).export({ type: "spki", format: "der" });
    assertEquals(toHex(spki), toHex([a, b][i]!.spki));
  }
  assertNotEquals(toHex(blocks[0]!.der.subarray(16)), toHex(blocks[1]!.der.subarray(16)));
  assertNotEquals(toHex(blocks[0]!.der.subarray(16)), "00".repeat(32));
});
