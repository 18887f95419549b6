/** @module Tests for the "did you mean" suggestions. */

import { assertEquals } from "../tests/helpers/assert.ts";
import { closest, editDistance } from "./suggest.ts";

const COMMANDS = ["serve", "login", "logout", "status", "setup", "doctor", "kube", "rbac", "audit", "demo", "version"];

Deno.test("editDistance() counts a swap of neighbours as one edit", () => {
  assertEquals(editDistance("lgoin", "login"), 1);
  assertEquals(editDistance("login", "logout"), 3);
  assertEquals(editDistance("", "abc"), 3);
  assertEquals(editDistance("statsu", "status"), 1);
});

Deno.test("closest() suggests typos of commands, not names that merely share a prefix", () => {
  assertEquals(closest("lgoin", COMMANDS), "login");
  assertEquals(closest("logni", COMMANDS), "login");
  assertEquals(closest("stauts", COMMANDS), "status");
  assertEquals(closest("docter", COMMANDS), "doctor");
  assertEquals(closest("setpu", COMMANDS), "setup");
  assertEquals(closest("lo", COMMANDS), undefined); // a prefix guess would say "login" or "logout"
  assertEquals(closest("serverx", COMMANDS), "serve");
  assertEquals(closest("xyz", COMMANDS), undefined);
  assertEquals(closest("deploy", COMMANDS), undefined);
  assertEquals(closest("LOGIN", COMMANDS), "login");
});
