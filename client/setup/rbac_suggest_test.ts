/** @module RBAC suggestions from real-looking ID token claims of several IdPs. */

import { assertEquals, assertStringIncludes } from "../../tests/helpers/assert.ts";
import { parse } from "yaml";
import { formatRbacYaml, suggestRules } from "./rbac_suggest.ts";

Deno.test("suggestRules() reads Keycloak realm roles and skips the roles every Keycloak user has", () => {
  const { rules } = suggestRules({ realm_access: { roles: ["talos-admin", "offline_access", "default-roles-acme"] } });
  assertEquals(rules, [{ claim: "realm_access.roles", value: "talos-admin", roles: ["os:admin"] }]);
});

Deno.test("suggestRules() leaves the role open for a group whose name says nothing (an Entra object id)", () => {
  const { rules } = suggestRules({ groups: ["8f0d1a8e-6c5e-4f24-9a1d-1b2c3d4e5f60"] });
  assertEquals(rules[0]!.roles, []);
  assertStringIncludes(
    formatRbacYaml(rules),
    "    # - { claim: groups, value: 8f0d1a8e-6c5e-4f24-9a1d-1b2c3d4e5f60, roles: [os:reader] }",
  );
});

Deno.test("suggestRules() falls back to hd and the verified email when there are no groups (Google)", () => {
  const { rules, notes } = suggestRules({
    sub: "1101",
    email: "a@example.com",
    email_verified: true,
    hd: "example.com",
  });
  assertEquals(rules.map((r) => r.claim), ["hd", "email"]);
  assertEquals(notes.length, 1);
});

Deno.test("suggestRules() names sub, not an email whose email_verified is not the boolean true", () => {
  for (const verified of ["true", "false", undefined]) {
    const { rules } = suggestRules({ sub: "1101", email: "a@example.com", email_verified: verified });
    assertEquals(rules, [{ claim: "sub", value: "1101", roles: ["os:admin"] }], String(verified));
  }
});

Deno.test("suggestRules() notes an object-shaped roles claim (Zitadel) instead of suggesting a rule that cannot match", () => {
  const { rules, notes } = suggestRules({
    sub: "1",
    "urn:zitadel:iam:org:project:roles": { "talos-admin": { "1": "x" } },
  });
  assertStringIncludes(notes.join("\n"), "is an object (its keys are talos-admin)");
  assertEquals(rules, [{ claim: "sub", value: "1", roles: ["os:admin"] }]);
});

Deno.test("formatRbacYaml() writes YAML that parses back to the same strings, numbers and @ included", () => {
  const rules = [
    { claim: "sub", value: "110169484474386276334", roles: ["os:admin"] },
    { claim: "groups", value: "@ops", roles: ["os:admin"] },
    { claim: "groups", value: "/talos-admins", roles: ["os:reader"] },
    { claim: "urn:zitadel:iam:org:project:roles", value: "yes", roles: ["os:reader"] },
  ];
  const doc = parse(formatRbacYaml(rules, { issuer: "https://idp.example.com/", clientId: "talosctl" }));
  assertEquals(doc.issuer_url, "https://idp.example.com/");
  assertEquals(doc.roles, []);
  assertEquals(doc.rbac.rules, rules);
});
