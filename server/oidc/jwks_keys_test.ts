/** @module Tests of JWKS import and key selection: jose's rules, plus refusing weak or private keys. */

import { assert, assertEquals, assertRejects } from "../../tests/helpers/assert.ts";
import { ALGORITHMS } from "./algorithms.ts";
import { importJwks, selectKey } from "./jwks_keys.ts";
import { keyPair, publicJwk } from "../../tests/helpers/jws_forge.ts";

const spec = (alg: string) => ALGORITHMS.get(alg)!;

Deno.test("JWKS import and key selection", async (t) => {
  const rsa = keyPair("rsa");
  const rsa2 = keyPair("rsa");
  const ec = keyPair("p256");
  await t.step("selectKey() finds the one key whose kid, kty, crv, alg, use and key_ops fit", async () => {
    const keys = await importJwks({
      keys: [
        publicJwk(rsa, { kid: "r1", alg: "RS256" }),
        publicJwk(rsa2, { kid: "r2", use: "enc" }),
        publicJwk(ec, { kid: "e1", key_ops: ["verify"] }),
      ],
    });
    assertEquals(selectKey(keys, spec("RS256"), "r1").kind, "found");
    assertEquals(selectKey(keys, spec("PS256"), "r1").kind, "mismatch"); // JWK alg says RS256 only
    assertEquals(selectKey(keys, spec("RS256"), "r2").kind, "mismatch"); // encryption key
    assertEquals(selectKey(keys, spec("ES256"), "r1").kind, "mismatch"); // kty RSA for an EC alg
    assertEquals(selectKey(keys, spec("ES384"), "e1").kind, "mismatch"); // P-256 key for a P-384 alg
    assertEquals(selectKey(keys, spec("ES256"), "e1").kind, "found");
    assertEquals(selectKey(keys, spec("RS256"), "nope").kind, "unknown_kid");
    assertEquals(selectKey(keys, spec("ES256"), undefined).kind, "found"); // the only EC key
  });

  await t.step("selectKey() refuses to guess between several fitting keys when the token has no kid", async () => {
    const keys = await importJwks({ keys: [publicJwk(rsa, { kid: "a" }), publicJwk(rsa2, { kid: "b" })] });
    assertEquals(selectKey(keys, spec("RS256"), undefined).kind, "ambiguous");
  });

  await t.step("importJwks() marks private, weak and unknown keys unusable instead of using them", async () => {
    const keys = await importJwks({
      keys: [
        { ...rsa.privateKey.export({ format: "jwk" }), kid: "leak" },
        publicJwk(keyPair("rsa1024"), { kid: "weak" }),
        { kty: "oct", k: "c2VjcmV0", kid: "hmac" },
        { kty: "RSA", n: "not base64!", e: "AQAB", kid: "broken" },
        publicJwk(rsa, { kid: "good" }),
      ],
    });
    assertEquals(keys.map((k) => Boolean(k.unusable)), [true, true, true, true, false]);
    assert(keys[0]!.rsa === undefined, "no key material is imported from a leaked private JWK");
  });

  await t.step("importJwks() refuses documents that are not a key set, or hold too many keys", async () => {
    for (const doc of [null, [], { keys: "x" }, { keys: [1] }, { keys: Array(101).fill(publicJwk(ec)) }]) {
      await assertRejects(() => importJwks(doc), (e) => e instanceof TypeError);
    }
  });
});
