/** @module Tests for the one issuer rule shared by server and client. */

import { assert, assertEquals } from "../tests/helpers/assert.ts";
import { discoveryUrl, sameIssuer } from "./issuer.ts";

Deno.test("discoveryUrl() drops one trailing slash before the well-known path (Discovery §4.1)", () => {
  assertEquals(discoveryUrl("https://idp.example.com"), "https://idp.example.com/.well-known/openid-configuration");
  assertEquals(
    discoveryUrl("https://auth.example.com/application/o/talosctl/"),
    "https://auth.example.com/application/o/talosctl/.well-known/openid-configuration",
  );
});

Deno.test("sameIssuer() tolerates exactly one trailing slash and nothing else", () => {
  assert(sameIssuer("https://idp.example.com", "https://idp.example.com"));
  assert(sameIssuer("https://idp.example.com", "https://idp.example.com/"));
  assert(sameIssuer("https://a.example/app/o/x/", "https://a.example/app/o/x"));
  assert(!sameIssuer("https://idp.example.com//", "https://idp.example.com"));
  assert(!sameIssuer("https://idp.example.com", "https://IDP.example.com"));
  assert(!sameIssuer("https://idp.example.com", "http://idp.example.com"));
  assert(!sameIssuer("https://idp.example.com/realms/a", "https://idp.example.com/realms/ab"));
  assert(!sameIssuer("https://idp.example.com", "https://idp.example.com:443"));
});
