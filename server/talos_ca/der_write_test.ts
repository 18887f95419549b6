/** @module Tests for the DER writer: length forms against X.690 §8.1.3, UTF-8 sizing, OBJECT IDENTIFIERs. */

import { assertEquals, assertThrows } from "../../tests/helpers/assert.ts";
import { hex, TAG, toHex } from "./der.ts";
import { oidText, readChildren, readOnly } from "./der_read.ts";
import { encode, node, oid, textNode } from "./der_write.ts";

/** X.690 §8.1.3 written out independently: short form below 128, else 0x80|count then the big-endian length. */
function lengthOctets(n: number): number[] {
  if (n < 0x80) return [n];
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v % 256);
  return [0x80 | bytes.length, ...bytes];
}

Deno.test("encode() writes minimal definite lengths at every length-form boundary, and the reader reads them back", () => {
  for (const n of [0, 1, 127, 128, 255, 256, 65535, 65536, 70000, 0xffffff - 4]) {
    const content = new Uint8Array(n).fill(7);
    const der = encode(node(TAG.OCTET_STRING, content));
    const header = [TAG.OCTET_STRING, ...lengthOctets(n)];
    assertEquals([...der.subarray(0, header.length)], header, `length ${n}`);
    assertEquals(der.length, header.length + n);
    assertEquals(readOnly(encode(node(TAG.SEQUENCE, content))).content.length, n);
  }
  assertThrows(() => encode(node(TAG.OCTET_STRING, new Uint8Array(0x1000000))), (e) => e instanceof RangeError);
  assertEquals(toHex(encode(node(TAG.SEQUENCE, node(TAG.NULL)))), "30020500");
});

Deno.test("encode() nests nodes, copies pre-encoded bytes and writes one buffer the reader splits back", () => {
  const inner = encode(node(TAG.INTEGER, Uint8Array.of(5)));
  const der = encode(node(TAG.SEQUENCE, inner, node(TAG.SET, textNode(TAG.PRINTABLE_STRING, "ab")), node(0xa3)));
  assertEquals(toHex(der), "300b020105310413026162a300");
  assertEquals(readChildren(readOnly(der, TAG.SEQUENCE)).map((c) => c.tag), [TAG.INTEGER, TAG.SET, 0xa3]);
});

Deno.test("textNode() sizes and writes UTF-8 exactly as TextEncoder does, lone surrogates included", () => {
  const te = new TextEncoder();
  for (const text of ["", "ascii", "é", "中文", "😀x😀", "a\u{d800}b", "\u{dc00}", "x".repeat(300) + "é"]) {
    const bytes = te.encode(text);
    const der = encode(textNode(TAG.UTF8_STRING, text));
    assertEquals([...der.subarray(0, der.length - bytes.length)], [TAG.UTF8_STRING, ...lengthOctets(bytes.length)]);
    assertEquals(toHex(readOnly(der).content), toHex(bytes), JSON.stringify(text));
  }
});

Deno.test("oid() encodes the dotted text (multi-byte arcs, joint first arcs) and oidText() reads it back", () => {
  const known: Record<string, string> = {
    "1.2.840.113549.1.1.11": "06092a864886f70d01010b",
    "1.3.101.112": "06032b6570",
    "2.5.4.3": "0603550403",
    "2.5.29.35": "0603551d23",
    "1.3.6.1.5.5.7.3.2": "06082b06010505070302",
    "2.999.3": "0603883703",
    "0.0": "060100",
  };
  for (const [dotted, der] of Object.entries(known)) {
    assertEquals(toHex(oid(dotted)), der, dotted);
    assertEquals(oidText(readOnly(hex(der), TAG.OID).content), dotted);
  }
  for (const bad of ["", "1", "3.1", "1.40", "1.2.x", "1..2", "1.2.-3"]) {
    assertThrows(() => oid(bad), (e) => e instanceof SyntaxError);
  }
});
