/** @module Tests for claim lookup by dotted path and claim value flattening. */

import { assertEquals } from "../../tests/helpers/assert.ts";
import { claimValues, resolveClaim } from "./claims.ts";

const KEYCLOAK = {
  sub: "alice",
  groups: ["talos-admins", "devs"],
  realm_access: { roles: ["offline_access", "talos-operator"] },
  resource_access: { talos: { roles: ["reader"] }, "talos.prod": { roles: ["admin"] } },
  "https://example.com/groups": ["ops"],
  "a.b": "literal",
  a: { b: "nested" },
};

Deno.test("resolveClaim() finds a top-level claim by name", () => {
  assertEquals(resolveClaim(KEYCLOAK, "groups"), ["talos-admins", "devs"]);
});

Deno.test("resolveClaim() walks dotted paths such as realm_access.roles and resource_access.talos.roles", () => {
  assertEquals(resolveClaim(KEYCLOAK, "realm_access.roles"), ["offline_access", "talos-operator"]);
  assertEquals(resolveClaim(KEYCLOAK, "resource_access.talos.roles"), ["reader"]);
});

Deno.test("resolveClaim() finds a claim whose literal name contains dots", () => {
  assertEquals(resolveClaim(KEYCLOAK, "https://example.com/groups"), ["ops"]);
});

Deno.test("resolveClaim() prefers a literal dotted key over the nested path", () => {
  assertEquals(resolveClaim(KEYCLOAK, "a.b"), "literal");
});

Deno.test("resolveClaim() finds a nested key whose own name contains a dot", () => {
  assertEquals(resolveClaim(KEYCLOAK, "resource_access.talos.prod.roles"), ["admin"]);
});

Deno.test("resolveClaim() returns undefined for missing paths and never reads the prototype chain", () => {
  assertEquals(resolveClaim(KEYCLOAK, "realm_access.nope"), undefined);
  assertEquals(resolveClaim(KEYCLOAK, "groups.length"), undefined);
  assertEquals(resolveClaim(KEYCLOAK, "constructor"), undefined);
  assertEquals(resolveClaim(KEYCLOAK, "sub.length"), undefined);
  assertEquals(resolveClaim(JSON.parse('{"__proto__": {"x": "y"}}'), "__proto__.x"), "y");
});

Deno.test("claimValues() keeps a string whole unless asked to split it, and then splits at spaces only", () => {
  assertEquals(claimValues("openid talos:admin"), ["openid talos:admin"]);
  assertEquals(claimValues("openid  talos:admin ", true), ["openid", "talos:admin"]);
  assertEquals(claimValues("openid\ntalos:admin\tx", true), ["openid\ntalos:admin\tx"]);
  assertEquals(claimValues("single", true), ["single"]);
});

Deno.test("claimValues() never splits array elements, even when asked to split", () => {
  assertEquals(claimValues(["not talos-admins", "x\ntalos-admins"], true), ["not talos-admins", "x\ntalos-admins"]);
});

Deno.test("claimValues() stringifies numbers and booleans and ignores null and objects inside arrays", () => {
  assertEquals(claimValues([1, true, "x", { a: 1 }, null, ["nested"]]), ["1", "true", "x"]);
  assertEquals(claimValues(42), ["42"]);
  assertEquals(claimValues(false), ["false"]);
  assertEquals(claimValues(null), []);
});

Deno.test("claimValues() takes an object's own keys, as in Zitadel's project role map", () => {
  const roles = { "talos-admin": { "2801637": "acme.example.com" }, "talos-reader": { "2801637": "acme.example.com" } };
  assertEquals(claimValues(roles), ["talos-admin", "talos-reader"]);
  assertEquals(claimValues(Object.create({ inherited: 1 })), []);
  assertEquals(claimValues(undefined), []);
});
