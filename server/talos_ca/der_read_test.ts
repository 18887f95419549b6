/** @module Tests for the strict DER reader: what it refuses, and OBJECT IDENTIFIER text. */

import { assertEquals, assertThrows } from "../../tests/helpers/assert.ts";
import { hex } from "./der.ts";
import { checkDerTree, oidText, readChildren, readDer, readOnly } from "./der_read.ts";

Deno.test("readDer() refuses non-minimal, indefinite, truncated and oversized lengths", () => {
  for (const bad of ["3081020500", "3080", "30", "3005050000", "0482000100", "1f0100", "3084000000010a"]) {
    assertThrows(() => readOnly(hex(bad)), (e) => e instanceof SyntaxError);
  }
  assertThrows(() => readOnly(hex("05000500")), (e) => e instanceof SyntaxError); // trailing bytes
  assertThrows(() => readChildren(readDer(hex("0400"))), (e) => e instanceof SyntaxError); // primitive
  assertThrows(() => readChildren(readOnly(hex("3003020500"))), (e) => e instanceof SyntaxError); // child overruns
});

Deno.test("readOnly() checks the expected tag; readChildren() returns views of each child in order", () => {
  assertThrows(() => readOnly(hex("0500"), 0x30), (e) => e instanceof SyntaxError);
  const [a, b] = readChildren(readOnly(hex("30080201050403aabbcc"), 0x30));
  assertEquals([a!.tag, [...a!.content], b!.tag, [...b!.content]], [0x02, [5], 0x04, [0xaa, 0xbb, 0xcc]]);
});

Deno.test("oidText() decodes multi-byte arcs", () => {
  assertEquals(oidText(hex("2a864886f70d01010b")), "1.2.840.113549.1.1.11");
  assertEquals(oidText(hex("2b6570")), "1.3.101.112");
  assertEquals(oidText(hex("550403")), "2.5.4.3");
});

Deno.test("oidText() refuses empty, unfinished and non-minimal OBJECT IDENTIFIER encodings", () => {
  for (const bad of ["", "2a86", "2a80864886f70d01010b", "80", "2aff"]) {
    assertThrows(() => oidText(hex(bad)), (e) => e instanceof SyntaxError);
  }
});

Deno.test("checkDerTree() accepts strict DER at any depth and refuses each way an element can be ill-formed", () => {
  checkDerTree(readOnly(hex("3019 0101ff 020100 0202 0080 03020780 0500 0603 2b6570 1302 6162")));
  checkDerTree(readOnly(hex("3109 0c02 c3a9 1603 612e62")));
  const bad = {
    "child past its parent": "3005 3004 050000",
    "constructed OCTET STRING": "3004 2402 0400",
    "primitive SEQUENCE": "3002 1000",
    "BOOLEAN 01": "3003 010101",
    "non-minimal INTEGER": "3004 02020001",
    "empty INTEGER": "3002 0200",
    "BIT STRING unused bits > 7": "3004 03020800",
    "BIT STRING unused bits set": "3004 03020781",
    "NULL with content": "3003 050100",
    "non-minimal OID": "3004 06028001",
    "PrintableString with @": "3003 130140",
    "UTF8String not UTF-8": "3003 0c01ff",
    "IA5String not ASCII": "3003 160180",
  };
  for (const [what, der] of Object.entries(bad)) {
    const el = readOnly(hex(der));
    let error: unknown;
    try {
      checkDerTree(el);
    } catch (err) {
      error = err;
    }
    assertEquals(error instanceof SyntaxError, true, `${what} was not refused`);
  }
});
