/** @module Tests for the "no roles assigned" hint: which claim the rules read, whether the token has it, the ways out. */

import { assertEquals, assertStringIncludes } from "../../tests/helpers/assert.ts";
import { noRolesHint } from "./no_roles.ts";

const base = {
  server: "https://talos-oidc.example.com",
  user: "alice@example.com",
  scopes: ["openid", "email"],
};

Deno.test("noRolesHint() finds a dotted claim in the user's token and shows its value, never a rule's", () => {
  const claims = { sub: "alice", realm_access: { roles: ["viewer"] } };
  const hint = noRolesHint(["realm_access.roles"], { ...base, claims });
  assertStringIncludes(hint, `your ID token (alice@example.com) has "realm_access.roles": ["viewer"]`);
  assertStringIncludes(hint, "sign in as another account: talosctl-oidc login ... --force");
});

Deno.test("noRolesHint() suggests a scope only for a plain claim name; a path gets a pointer to the docs", () => {
  const plain = noRolesHint(["groups", "roles"], { ...base, claims: { sub: "alice", roles: ["x"] } });
  assertStringIncludes(
    plain,
    `read the claims "groups", "roles", and your ID token (alice@example.com) has no "groups"`,
  );
  assertStringIncludes(plain, "--scopes openid,email,groups");
  const path = noRolesHint(["resource_access.talos.roles"], { ...base, claims: { sub: "alice" } });
  assertStringIncludes(path, "--scopes ... (the IdP's documentation names it");
});

Deno.test("noRolesHint() for a server with no rule for the IdP, and for an older server that names no claims", () => {
  assertEquals(
    noRolesHint([], { ...base, claims: {} }),
    "the server has no RBAC rule for tokens of your IdP: ask the administrator of https://talos-oidc.example.com " +
      "to grant you a Talos role",
  );
  const older = noRolesHint(undefined, { ...base, claims: { sub: "a", iss: "i", email: "a@x", name: "A" } });
  assertStringIncludes(older, `your ID token (alice@example.com) carries "email", "name". Ways out:`);
  assertStringIncludes(older, "--force --scopes openid,email,groups");
});
