/** @module Tests for RBAC rule validation and claim-to-role mapping. */

import { assert, assertEquals, assertMatch, assertThrows } from "../../tests/helpers/assert.ts";
import { isTalosOidcError } from "../../shared/errors.ts";
import type { Logger } from "../../shared/log.ts";
import { compileRbac, validateRbacRules } from "./rbac.ts";
import type { RbacRule } from "./types.ts";

const ISS = "https://idp.example.com";
const ALICE = {
  sub: "alice",
  groups: ["talos-admins", "devs"],
  scope: "openid talos:ops",
  realm_access: { roles: ["talos-operator"] },
  resource_access: { talos: { roles: ["backup"] } },
  "https://example.com/groups": ["sre"],
  tier: 3,
  mfa: true,
};

function map(rules: RbacRule[], claims: Record<string, unknown> = ALICE, issuer = ISS, defaultRoles: string[] = []) {
  return compileRbac(rules, { defaultRoles }).map(claims, issuer);
}

Deno.test("compileRbac() with no rules returns the default roles", () => {
  assertEquals(map([], ALICE, ISS, ["os:reader"]), { roles: ["os:reader"], matched: [], claims: [] });
});

Deno.test("compileRbac() exact rule on an array claim grants its roles", () => {
  assertEquals(map([{ claim: "groups", value: "talos-admins", roles: ["os:admin"] }]), {
    roles: ["os:admin"],
    matched: [0],
    claims: ["groups"],
  });
});

Deno.test("compileRbac() matches a word of a space-separated string claim", () => {
  assertEquals(map([{ claim: "scope", value: "talos:ops", roles: ["os:operator"] }]).roles, ["os:operator"]);
});

Deno.test("compileRbac() matches stringified number and boolean claims", () => {
  assertEquals(map([{ claim: "tier", value: "3", roles: ["os:reader"] }]).roles, ["os:reader"]);
  assertEquals(map([{ claim: "mfa", value: "true", roles: ["os:reader"] }]).roles, ["os:reader"]);
});

Deno.test("compileRbac() follows dotted paths and literal dotted claim names", () => {
  const rules: RbacRule[] = [
    { claim: "realm_access.roles", value: "talos-operator", roles: ["os:operator"] },
    { claim: "resource_access.talos.roles", value: "backup", roles: ["os:etcd:backup"] },
    { claim: "https://example.com/groups", value: "sre", roles: ["os:reader"] },
  ];
  assertEquals(map(rules), {
    roles: ["os:etcd:backup", "os:operator", "os:reader"],
    matched: [0, 1, 2],
    claims: ["realm_access.roles", "resource_access.talos.roles", "https://example.com/groups"],
  });
});

Deno.test("compileRbac() glob and regex rules are anchored", () => {
  assertEquals(map([{ claim: "groups", value: "talos-*", match: "glob", roles: ["os:admin"] }]).roles, ["os:admin"]);
  assertEquals(map([{ claim: "groups", value: "admins", match: "glob", roles: ["os:admin"] }]).roles, []);
  assertEquals(map([{ claim: "groups", value: "dev.", match: "regex", roles: ["os:reader"] }]).roles, ["os:reader"]);
  assertEquals(map([{ claim: "groups", value: "dev", match: "regex", roles: ["os:reader"] }]).roles, []);
});

Deno.test("compileRbac() unions every matching rule, sorted and de-duplicated", () => {
  const rules: RbacRule[] = [
    { claim: "groups", value: "devs", roles: ["os:reader"] },
    { claim: "groups", value: "nobody", roles: ["os:admin"] },
    { claim: "groups", value: "talos-admins", roles: ["os:reader", "os:operator"] },
  ];
  assertEquals(map(rules), { roles: ["os:operator", "os:reader"], matched: [0, 2], claims: ["groups"] });
});

Deno.test("compileRbac() restricts a rule to its issuer, ignoring trailing slashes", () => {
  const rule: RbacRule = { claim: "groups", value: "devs", roles: ["os:reader"], issuer: `${ISS}/` };
  assertEquals(map([rule]).roles, ["os:reader"]);
  assertEquals(map([rule], ALICE, "https://other.example.com").roles, []);
});

Deno.test("compileRbac() names the claims read by the rules of the token's issuer only, never their values", () => {
  const rules: RbacRule[] = [
    { claim: "groups", value: "talos-admins", roles: ["os:admin"] },
    { claim: "roles", value: "secret-value", roles: ["os:admin"], issuer: "https://other.example.com" },
    { claim: "realm_access.roles", value: "talos", roles: ["os:reader"] },
    { claim: "groups", value: "talos-readers", roles: ["os:reader"] },
  ];
  const d = map(rules, { sub: "mallory", groups: ["guests"] });
  assertEquals(d, { roles: [], matched: [], claims: ["groups", "realm_access.roles"] });
  assertEquals(JSON.stringify(d).includes("talos-admins"), false);
});

Deno.test("compileRbac() denies when no rule matches and the default roles are empty", () => {
  const d = map([{ claim: "groups", value: "talos-admins", roles: ["os:admin"] }], { sub: "mallory", groups: ["x"] });
  assertEquals(d, { roles: [], matched: [], claims: ["groups"] });
});

Deno.test("compileRbac() falls back to the default roles when rules exist but none matches", () => {
  const rules: RbacRule[] = [{ claim: "groups", value: "talos-admins", roles: ["os:admin"] }];
  assertEquals(map(rules, { groups: ["x"] }, ISS, ["os:reader"]).roles, ["os:reader"]);
});

Deno.test("compileRbac() a matching rule with empty roles grants nothing", () => {
  assertEquals(map([{ claim: "groups", value: "devs", roles: [] }], ALICE, ISS, ["os:reader"]), {
    roles: [],
    matched: [0],
    claims: ["groups"],
  });
});

Deno.test("compileRbac() never throws for odd claim shapes", () => {
  const m = compileRbac([{ claim: "a.b", value: "x", roles: ["os:reader"] }], { defaultRoles: [] });
  for (const claims of [{}, { a: null }, { a: [{ b: "x" }] }, { a: "x" }, { a: { b: { c: 1 } } }]) {
    assertEquals(m.map(claims as Record<string, unknown>, ISS).roles, []);
  }
  assertEquals(m.map(null as unknown as Record<string, unknown>, ISS).roles, []);
});

Deno.test("compileRbac() refuses unknown roles and os:impersonator with an explanation", () => {
  const err = assertThrows(() =>
    compileRbac([{ claim: "groups", value: "x", roles: ["os:root", "os:impersonator"] }], {
      defaultRoles: ["os:god"],
    })
  );
  assert(isTalosOidcError(err, "ERR_CONFIG"));
  assertMatch(err.message, /rbac\.rules\[0\]\.roles\[0\]: unknown role "os:root"/);
  assertMatch(err.message, /rbac\.rules\[0\]\.roles\[1\]: "os:impersonator" is refused: .*talos-role gRPC metadata/);
  assertMatch(err.message, /roles\[0\]: unknown role "os:god"/);
});

Deno.test("compileRbac() refuses an invalid regex at startup, naming the rule", () => {
  const err = assertThrows(() =>
    compileRbac([{ claim: "g", value: "ok", roles: [] }, { claim: "g", value: "(", match: "regex", roles: [] }], {
      defaultRoles: [],
    })
  );
  assert(isTalosOidcError(err, "ERR_CONFIG"));
  assertMatch(err.message, /rbac\.rules\[1\]\.value: invalid regex/);
});

Deno.test("validateRbacRules() names the index and field of every problem", () => {
  const problems = validateRbacRules([
    { claim: "groups", value: "ok", roles: ["os:admin"] },
    { claim: "", value: {}, roles: "os:admin", match: "fuzzy", mach: "glob", split: "yes" },
    { claim: "tier", value: 3, roles: [] },
    "not a rule",
  ]);
  assertEquals(problems, [
    "rbac.rules[1].mach: unknown field (allowed: claim, value, roles, issuer, match, split)",
    "rbac.rules[1].claim: must be a non-empty string",
    "rbac.rules[1].value: must be a non-empty string (or a number or boolean)",
    "rbac.rules[1].roles: must be a list of roles (may be empty)",
    'rbac.rules[1].split: must be true or false (got "yes")',
    'rbac.rules[1].match: must be one of exact, glob, regex (got "fuzzy")',
    "rbac.rules[3]: must be a mapping with claim, value and roles",
  ]);
  assertEquals(validateRbacRules(undefined), []);
  assertEquals(validateRbacRules({}), ["rbac.rules: must be a list of rules"]);
});

Deno.test("compileRbac() with debug logs which rule matched, without the token's other claims", () => {
  const lines: string[] = [];
  const logger: Logger = {
    debug: (m, f) => lines.push(`${m} ${JSON.stringify(f)}`),
    info() {},
    warn() {},
    error() {},
  };
  const m = compileRbac([{ claim: "groups", value: "devs", roles: ["os:reader"] }], {
    defaultRoles: [],
    logger,
    debug: true,
  });
  m.map({ ...ALICE, secret_claim: "eyJhbGciOi.x.y" }, ISS);
  assertEquals(lines, ['rbac rule matched {"rule":0,"claim":"groups","matched_value":"devs","roles":["os:reader"]}']);
});

Deno.test("compileRbac() matches a role map claim by its keys (Zitadel project roles)", () => {
  const claims = {
    sub: "z",
    "urn:zitadel:iam:org:project:roles": { "talos-admin": { "2801637": "acme.example.com" } },
  };
  const rules = [
    { claim: "urn:zitadel:iam:org:project:roles", value: "talos-admin", roles: ["os:admin"] },
    { claim: "urn:zitadel:iam:org:project:roles", value: "talos-reader", roles: ["os:reader"] },
  ];
  assertEquals(map(rules, claims), { roles: ["os:admin"], matched: [0], claims: [rules[0]!.claim] });
});
