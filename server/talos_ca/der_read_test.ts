/** @module Tests for the strict DER reader: what it refuses, and OBJECT IDENTIFIER text. */

import { assertEquals, assertThrows } from "../../tests/helpers/assert.ts";
import { hex } from "./der.ts";
import { oidText, readChildren, readDer, readOnly } from "./der_read.ts";

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
