/** @module Tests of the unverified JWT payload reader on tokens a real IdP signed, and on what is not a JWT. */

import { Buffer } from "node:buffer";
import { assertEquals, assertThrows } from "../tests/helpers/assert.ts";
import { startTestIdp } from "../tests/helpers/idp.ts";
import { decodeJwtPayload, jwtExpiry, jwtPayloadOrUndefined } from "./jwt_payload.ts";

Deno.test("decodeJwtPayload() reads the claims of a signed ID token, UTF-8 included, without verifying them", async () => {
  await using idp = await startTestIdp();
  const now = Math.floor(Date.now() / 1000);
  const token = await idp.mint({ sub: "jürgen", name: "Jürgen Ørsted 🔑", exp: now + 100 });
  const claims = decodeJwtPayload(token);
  assertEquals([claims.sub, claims.name, claims.iss], ["jürgen", "Jürgen Ørsted 🔑", idp.issuer]);
  assertEquals(jwtExpiry(token)?.getTime(), (now + 100) * 1000);
  const forged = token.split(".").map((p, i) => i === 2 ? "AAAA" : p).join("."); // not verified: still read
  assertEquals(jwtPayloadOrUndefined(forged)?.sub, "jürgen");
});

Deno.test("decodeJwtPayload() refuses what is not a compact JWS with an object payload, never quoting it", () => {
  const b64u = (v: unknown) => btoa(JSON.stringify(v)).replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");
  const cases: [string, RegExp][] = [
    ["eyJhbGciOiJ.bad", /not three base64url segments/],
    [`eyJhbGciOiJ.${b64u({ sub: "a" })}.c2ln.extra`, /not three base64url segments/],
    [`eyJhbGciOiJ.${b64u({ sub: "a" })}=.c2ln`, /not three base64url segments/],
    ["eyJhbGciOiJ.bm90IGpzb24.c2ln", /not UTF-8 JSON/],
    ["eyJhbGciOiJ.__8.c2ln", /not UTF-8 JSON/],
    [`eyJhbGciOiJ.${b64u([1, 2])}.c2ln`, /not a JSON object/],
    [`eyJhbGciOiJ.${b64u("sub")}.c2ln`, /not a JSON object/],
  ];
  for (const [token, why] of cases) {
    const err = assertThrows(() => decodeJwtPayload(token), (e) => e instanceof SyntaxError) as Error;
    assertEquals([why.test(err.message), err.message.includes(token.split(".")[1]!)], [true, false], token);
    assertEquals([jwtPayloadOrUndefined(token), jwtExpiry(token)], [undefined, undefined]);
  }
  assertEquals([jwtPayloadOrUndefined(undefined), jwtExpiry(undefined), jwtExpiry(`e.${b64u({ exp: "soon" })}.s`)], [
    undefined,
    undefined,
    undefined,
  ]);
});

Deno.test("decodeJwtPayload() reads a payload segment byte for byte as node's Buffer does, loose ends included", () => {
  const whole = Buffer.from('{"a":"ü~?"}').toString("base64url"); // 16 characters: 12 bytes, nothing left over
  const tail = Buffer.from('{"a":"ü~?>"}').toString("base64url"); // ends in "Q": 4 zero bits after the last byte
  // As issued; one stray character (no whole byte: ignored); non-zero bits after the last byte (ignored).
  for (const payload of [whole, tail, `${whole}A`, `${tail.slice(0, -1)}R`]) {
    const viaBuffer = JSON.parse(new TextDecoder().decode(Buffer.from(payload, "base64url")));
    assertEquals(decodeJwtPayload(`e30.${payload}.c2ln`), viaBuffer, payload);
  }
});
