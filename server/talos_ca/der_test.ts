/** @module Tests for the DER writer and reader: length forms, UTF-8 sizing, and strictness. */

import { assertEquals, assertThrows } from "../../tests/helpers/assert.ts";
import { encode, hex, node, oidText, readChildren, readDer, readOnly, TAG, textNode, tlv, toHex } from "./der.ts";

Deno.test("encode() writes the same bytes as tlv() at every length-form boundary", () => {
  for (const n of [0, 1, 127, 128, 255, 256, 65535, 65536, 70000]) {
    const content = new Uint8Array(n).fill(7);
    assertEquals(encode(node(TAG.OCTET_STRING, content)), tlv(TAG.OCTET_STRING, content), `length ${n}`);
    assertEquals(readOnly(encode(node(TAG.SEQUENCE, content))).content.length, n);
  }
  assertEquals(toHex(encode(node(TAG.SEQUENCE, node(TAG.NULL)))), "30020500");
});

Deno.test("textNode() sizes and writes UTF-8 exactly as TextEncoder does, lone surrogates included", () => {
  const te = new TextEncoder();
  for (const text of ["", "ascii", "é", "中文", "😀x😀", "a\u{d800}b", "\u{dc00}", "x".repeat(300) + "é"]) {
    assertEquals(encode(textNode(TAG.UTF8_STRING, text)), tlv(TAG.UTF8_STRING, te.encode(text)), JSON.stringify(text));
  }
});

Deno.test("readDer() refuses non-minimal, indefinite, truncated and oversized lengths", () => {
  for (const bad of ["3081020500", "3080", "30", "3005050000", "0482000100", "1f0100", "3084000000010a"]) {
    assertThrows(() => readOnly(hex(bad)), (e) => e instanceof SyntaxError);
  }
  assertThrows(() => readOnly(hex("05000500")), (e) => e instanceof SyntaxError); // trailing bytes
  assertThrows(() => readChildren(readDer(hex("0400"))), (e) => e instanceof SyntaxError); // primitive
});

Deno.test("oidText() decodes multi-byte arcs", () => {
  assertEquals(oidText(hex("2a864886f70d01010b")), "1.2.840.113549.1.1.11");
  assertEquals(oidText(hex("2b6570")), "1.3.101.112");
  assertEquals(oidText(hex("550403")), "2.5.4.3");
});
