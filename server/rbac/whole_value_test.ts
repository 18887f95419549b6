/** @module RBAC matches whole claim values: group names with spaces or newlines never smuggle in a role. */

import { assertEquals } from "../../tests/helpers/assert.ts";
import { compileRbac } from "./rbac.ts";
import type { RbacRule } from "./types.ts";

const ISS = "https://idp.example.com";
const ADMINS: RbacRule = { claim: "groups", value: "talos-admins", roles: ["os:admin"] };

function rolesFor(rules: RbacRule[], claims: Record<string, unknown>): string[] {
  return compileRbac(rules, { defaultRoles: [] }).map(claims, ISS).roles;
}

Deno.test('compileRbac() never splits an array element: a group named "not talos-admins" grants nothing', () => {
  assertEquals(rolesFor([ADMINS], { groups: ["not talos-admins"] }), []);
  assertEquals(rolesFor([ADMINS], { groups: ["x\ntalos-admins"] }), []);
  assertEquals(rolesFor([ADMINS], { groups: ["x\ttalos-admins", " talos-admins", "talos-admins "] }), []);
  assertEquals(rolesFor([ADMINS], { groups: ["devs", "talos-admins"] }), ["os:admin"]);
});

Deno.test("compileRbac() does not split a string claim unless the rule opts in with split: true", () => {
  assertEquals(rolesFor([ADMINS], { groups: "a talos-admins" }), []);
  assertEquals(rolesFor([ADMINS], { groups: "talos-admins" }), ["os:admin"]);
  const split: RbacRule = { ...ADMINS, split: true };
  assertEquals(rolesFor([split], { groups: "a talos-admins" }), ["os:admin"]);
  // split: true splits strings only, at spaces (as OAuth scope); array elements stay whole.
  assertEquals(rolesFor([split], { groups: ["a talos-admins"] }), []);
  assertEquals(rolesFor([split], { groups: "a\ntalos-admins" }), []);
  // a split string is a list of its words: the whole string is not one of them
  assertEquals(rolesFor([{ ...split, value: "a talos-admins" }], { groups: "a talos-admins" }), []);
});

Deno.test("compileRbac() splits scope and scp at spaces by default (they are lists by definition, RFC 6749 §3.3)", () => {
  const scope: RbacRule = { claim: "scope", value: "talos:ops", roles: ["os:operator"] };
  const scp: RbacRule = { claim: "scp", value: "talos:ops", roles: ["os:operator"] };
  assertEquals(rolesFor([scope], { scope: "openid talos:ops" }), ["os:operator"]);
  assertEquals(rolesFor([scp], { scp: "openid talos:ops" }), ["os:operator"]);
  assertEquals(rolesFor([scp], { scp: ["openid", "talos:ops"] }), ["os:operator"]);
  assertEquals(rolesFor([scope], { scope: "openid\ntalos:ops" }), []);
  assertEquals(rolesFor([{ ...scope, split: false }], { scope: "openid talos:ops" }), []);
  assertEquals(rolesFor([{ ...scope, split: false }], { scope: "talos:ops" }), ["os:operator"]);
  // only the top-level claims are lists by definition; a nested "scope" is an ordinary claim
  const nested: RbacRule = { claim: "ext.scope", value: "talos:ops", roles: ["os:operator"] };
  assertEquals(rolesFor([nested], { ext: { scope: "openid talos:ops" } }), []);
});

Deno.test("compileRbac() glob and regex rules also see whole values", () => {
  const glob: RbacRule = { claim: "groups", value: "talos-*", match: "glob", roles: ["os:reader"] };
  assertEquals(rolesFor([glob], { groups: ["x talos-admins"] }), []);
  const regex: RbacRule = { claim: "groups", value: "talos-.*", match: "regex", roles: ["os:reader"] };
  assertEquals(rolesFor([regex], { groups: ["x\ntalos-admins"] }), []);
});
