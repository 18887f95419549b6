/** @module A config that grants no role, or has a mistyped key, is refused: no silent os:admin. */

import { assert, assertEquals, assertStringIncludes } from "../tests/helpers/assert.ts";
import { parseConfig } from "./config.ts";

const BASE = {
  issuer_url: "https://idp.example.com",
  client_id: "talosctl",
  endpoints: ["10.0.0.1"],
  talos_secrets: "/etc/talos/secrets.yaml",
};
const RULES = [{ claim: "groups", value: "talos-admins", roles: ["os:admin"] }];

Deno.test("parseConfig() refuses a config with neither roles nor rbac.rules, saying how to grant a role on purpose", () => {
  const { config, problems } = parseConfig(BASE, {});
  assertEquals(problems.length, 1, problems.join("\n"));
  assertStringIncludes(problems[0]!, "roles / TALOSCTL_OIDC_ROLES: no roles configured");
  assertStringIncludes(problems[0]!, "roles: [os:admin]");
  assertEquals(config.roles, []);
});

Deno.test("parseConfig() refuses rbac.rule (a typo for rules): unknown key with a did-you-mean, and no roles", () => {
  const { config, problems } = parseConfig({ ...BASE, rbac: { rule: RULES } }, {});
  assertEquals(problems.length, 2, problems.join("\n"));
  assertStringIncludes(problems[0]!, 'rbac.rule: unknown key; did you mean "rules"?');
  assertStringIncludes(problems[1]!, "no roles configured");
  assert(!config.roles.includes("os:admin"));
});

Deno.test("parseConfig() refuses an empty roles list without rules, and empty rules without roles", () => {
  for (const file of [{ ...BASE, roles: [] }, { ...BASE, rbac: { rules: [] } }, { ...BASE, roles: [], rbac: {} }]) {
    const { problems } = parseConfig(file, {});
    assertEquals(problems.length, 1, JSON.stringify(file));
    assertStringIncludes(problems[0]!, "no roles configured");
  }
});

Deno.test("parseConfig() keeps explicit static roles, from the file or TALOSCTL_OIDC_ROLES, as the original did", () => {
  const file = parseConfig({ ...BASE, roles: ["os:admin"] }, {});
  assertEquals([file.problems, file.config.roles], [[], ["os:admin"]]);
  const env = parseConfig(BASE, { TALOSCTL_OIDC_ROLES: "os:reader" });
  assertEquals([env.problems, env.config.roles], [[], ["os:reader"]]);
  const rules = parseConfig({ ...BASE, rbac: { rules: RULES } }, {});
  assertEquals([rules.problems, rules.config.roles], [[], []]);
});

Deno.test("parseConfig() refuses unknown file keys with a did-you-mean; legacy keys and env vars only warn", () => {
  const { problems, warnings } = parseConfig({ ...BASE, roles: ["os:reader"], cert_tll: "5m", cert_log: "/x" }, {
    TALOSCTL_OIDC_ISSUER: "x",
  });
  assertEquals(problems, ['config file key "cert_tll" is unknown; did you mean "cert_ttl"?']);
  assertStringIncludes(warnings.join("\n"), 'config file key "cert_log" is ignored: issued certificates are recorded');
  assertStringIncludes(warnings.join("\n"), 'TALOSCTL_OIDC_ISSUER (ignored); did you mean "TALOSCTL_OIDC_ISSUER_URL"?');
});
