/** @module Tests of which issuer URLs are accepted. */

import { assertEquals } from "../../tests/helpers/assert.ts";
import { isLoopbackHost, urlProblem } from "./issuer_url.ts";

Deno.test("isLoopbackHost() knows 127.0.0.0/8, ::1 and localhost, and nothing that merely looks like them", () => {
  for (const host of ["127.0.0.1", "127.1.2.3", "localhost", "LOCALHOST", "[::1]", "localhost."]) {
    assertEquals(isLoopbackHost(host), true, host);
  }
  for (const host of ["127.0.0.1.nip.io", "localhost.evil.example", "10.0.0.1", "[::2]", "128.0.0.1", "0.0.0.0"]) {
    assertEquals(isLoopbackHost(host), false, host);
  }
});

Deno.test("urlProblem() accepts https anywhere and http only on loopback", () => {
  assertEquals(urlProblem("https://idp.example/realms/talos"), undefined);
  assertEquals(urlProblem("http://127.0.0.1:5556/dex"), undefined);
  assertEquals(urlProblem("http://idp.example"), "plain http is allowed only for loopback hosts");
  assertEquals(urlProblem("https://idp.example/?tenant=1"), "it has a query or fragment");
  assertEquals(urlProblem("https://user:pw@idp.example"), "it carries credentials");
  assertEquals(urlProblem("idp.example"), "it is not an absolute URL");
  assertEquals(urlProblem("file:///etc/passwd"), "it is neither https nor http");
});
