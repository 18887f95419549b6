/** @module Tests for the identity a certificate CN and an audit line name. */

import { assertEquals } from "../tests/helpers/assert.ts";
import { auditIdentity, commonNameOf, displayText, MAX_COMMON_NAME, verifiedEmail } from "./identity.ts";

const ALICE = { sub: "alice-sub", email: "alice@example.com" };

Deno.test("commonNameOf() uses the email only when email_verified is the boolean true", () => {
  assertEquals(commonNameOf({ ...ALICE, email_verified: true }), "alice@example.com");
  for (const verified of [false, "false", "true", 1, null, undefined]) {
    assertEquals(commonNameOf({ ...ALICE, email_verified: verified }), "alice-sub", String(verified));
  }
  assertEquals(commonNameOf({ sub: "alice-sub" }), "alice-sub");
  assertEquals(verifiedEmail({ ...ALICE, email_verified: "true" }), undefined);
});

Deno.test("commonNameOf() strips control and bidi characters", () => {
  assertEquals(commonNameOf({ sub: "alice\u202Egpj.exe" }), "alicegpj.exe");
  assertEquals(commonNameOf({ sub: "x\u2066y\u2069\u200E\u200F\u061Cz" }), "xyz");
  assertEquals(commonNameOf({ sub: "a\nb\r\u0000c\u007F\u0085d\u001B[31m" }), "abcd[31m");
  assertEquals(
    commonNameOf({ sub: "s", email: "m\u202Eallory@example.com", email_verified: true }),
    "mallory@example.com",
  );
});

Deno.test("commonNameOf() caps the CN at 64 characters: a long email gives way to sub, a long sub is cut", () => {
  const longEmail = `${"a".repeat(88)}@example.com`;
  assertEquals(longEmail.length, 100);
  assertEquals(commonNameOf({ sub: "alice-sub", email: longEmail, email_verified: true }), "alice-sub");
  const cn = commonNameOf({ sub: "ü".repeat(100) });
  assertEquals([...cn].length, MAX_COMMON_NAME);
  assertEquals(commonNameOf({ sub: "😀".repeat(70) }), "😀".repeat(64));
});

Deno.test("auditIdentity() names the verified email only, cleaned the same way, up to 255 characters", () => {
  assertEquals(auditIdentity({ ...ALICE, email_verified: "false" }), { subject: "alice-sub" });
  assertEquals(auditIdentity({ ...ALICE, email_verified: true }), { subject: "alice-sub", email: "alice@example.com" });
  assertEquals(auditIdentity({ sub: "bob\u202E\n" }), { subject: "bob" });
  assertEquals(displayText("x".repeat(300), 255).length, 255);
});
