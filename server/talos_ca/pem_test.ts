/** @module Tests for PEM in and out, including the base64-of-PEM form of Talos configs. */

import { Buffer } from "node:buffer";
import { assert, assertEquals, assertThrows } from "../../tests/helpers/assert.ts";
import { pemBlocks, pemText, toPem } from "./pem.ts";

Deno.test("toPem() writes 64-character lines that pemBlocks() reads back", () => {
  const der = Uint8Array.from({ length: 200 }, (_, i) => i);
  const pem = toPem("CERTIFICATE", der);
  assert(pem.split("\n").slice(1, -2).every((l) => l.length <= 64));
  assertEquals(pemBlocks(pem), [{ label: "CERTIFICATE", der, hasHeaders: false }]);
});

Deno.test("pemText() accepts PEM, base64 of PEM with or without line breaks, and CRLF", () => {
  const pem = toPem("ED25519 PRIVATE KEY", Uint8Array.of(1, 2, 3));
  const b64 = Buffer.from(pem).toString("base64");
  assertEquals(pemText(pem), pem);
  assertEquals(pemText(b64), pem);
  assertEquals(pemText(b64.replace(/(.{20})/g, "$1\n") + "\n"), pem);
  assertEquals(pemBlocks(pem.replaceAll("\n", "\r\n"))[0]?.label, "ED25519 PRIVATE KEY");
});

Deno.test("pemText() returns undefined for what is neither PEM nor base64 of PEM", () => {
  for (const bad of ["", "hello world", Buffer.from("no pem here").toString("base64"), "@@@@"]) {
    assertEquals(pemText(bad), undefined, bad);
  }
});

Deno.test("pemBlocks() refuses a body that is not base64 and flags RFC 1421 headers", () => {
  assertThrows(() => pemBlocks("-----BEGIN X-----\n!!!!\n-----END X-----\n"), (e) => e instanceof SyntaxError);
  const legacy = "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\n\nAAAA\n-----END RSA PRIVATE KEY-----\n";
  assertEquals(pemBlocks(legacy)[0]?.hasHeaders, true);
});
