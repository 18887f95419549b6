/** @module Tests of compact JWS parsing: only the one canonical spelling of a three-segment token gets through. */

import { assertEquals, assertThrows } from "../../tests/helpers/assert.ts";
import { MAX_TOKEN_LENGTH, parseCompactJws } from "./compact.ts";
import { invalidTokenReason } from "./invalid.ts";
import { b64u } from "../../tests/helpers/jws_forge.ts";

const header = b64u({ alg: "RS256", kid: "k" });
const payload = b64u({ sub: "alice" });
const malformed = (err: unknown) => invalidTokenReason(err) === "malformed";

Deno.test("parseCompactJws() decodes header, claims, signing input and signature", () => {
  const parsed = parseCompactJws(`${header}.${payload}.AQID`);
  assertEquals(parsed.header, { alg: "RS256", kid: "k" });
  assertEquals(parsed.claims, { sub: "alice" });
  assertEquals(parsed.signingInput, `${header}.${payload}`);
  assertEquals([...parsed.signature], [1, 2, 3]);
});

Deno.test("parseCompactJws() refuses anything but three segments of canonical unpadded base64url", () => {
  const cases = [
    `${header}.${payload}`,
    `${header}.${payload}.AQID.AQID`,
    `${header}.${payload}.AQID=`,
    `${header}.${payload}.AQ ID`,
    `${header}.${payload}.AQ+D`,
    `${header}.${payload}.AQIDB`, // length % 4 == 1
    `${header}.${payload}.AR`, // 0x01 spelled with non-zero unused bits ("AQ" is canonical)
    `${header}.${payload}.AQJ`, // 0x01 0x02 spelled with non-zero unused bits ("AQI" is canonical)
    `${header}=.${payload}.AQID`,
  ];
  for (const token of cases) assertThrows(() => parseCompactJws(token), malformed);
});

Deno.test("parseCompactJws() refuses non-objects, invalid UTF-8, oversize tokens and non-strings", () => {
  const cases: unknown[] = [
    `${b64u("[1]")}.${payload}.AQID`,
    `${header}.${b64u("null")}.AQID`,
    `${header}.${b64u(new Uint8Array([0x7b, 0xff, 0x7d]))}.AQID`,
    `${header}.${b64u("{")}.AQID`,
    `${header}.${b64u({ pad: "x".repeat(MAX_TOKEN_LENGTH) })}.AQID`,
    42,
    undefined,
  ];
  for (const token of cases) assertThrows(() => parseCompactJws(token), malformed);
});

Deno.test("parseCompactJws() keeps an empty signature for the signature check to refuse", () => {
  assertEquals(parseCompactJws(`${header}.${payload}.`).signature.length, 0);
});
