/** @module Tests for PKCE, state/nonce generation and the constant-time compare. */

import { assert, assertEquals, assertMatch } from "../../tests/helpers/assert.ts";
import { base64Url, createPkce, randomToken, timingSafeEqual } from "./pkce.ts";

Deno.test("createPkce() makes a 43-character verifier whose S256 challenge matches RFC 7636", async () => {
  const p = await createPkce();
  assertMatch(p.verifier, /^[A-Za-z0-9_-]{43}$/);
  assertEquals(p.method, "S256");
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(p.verifier));
  assertEquals(p.challenge, base64Url(new Uint8Array(digest)));
});

Deno.test("base64Url() encodes the RFC 7636 Appendix B example", async () => {
  const verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier));
  assertEquals(base64Url(new Uint8Array(digest)), "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
});

Deno.test("randomToken() never repeats and has no padding", () => {
  const seen = new Set(Array.from({ length: 100 }, () => randomToken()));
  assertEquals(seen.size, 100);
  for (const t of seen) assertMatch(t, /^[A-Za-z0-9_-]{22}$/);
});

Deno.test("timingSafeEqual() is true only for identical strings", () => {
  assert(timingSafeEqual("abc", "abc"));
  assert(!timingSafeEqual("abc", "abd"));
  assert(!timingSafeEqual("abc", "abcd"));
  assert(!timingSafeEqual("", "a"));
  assert(timingSafeEqual("", ""));
});
