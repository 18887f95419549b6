/** @module Tests for `talosctl-oidc rbac test`. */

import { assert, assertEquals, assertRejects, assertStringIncludes } from "../../tests/helpers/assert.ts";
import { isTalosOidcError } from "../../shared/errors.ts";
import { runInProcess } from "../../tests/helpers/in_process.ts";
import { rbacCommand } from "./rbac_test_cmd.ts";

const CONFIG = `
issuer_url: https://idp.example.com
roles: []
rbac:
  rules:
    - { claim: groups, value: talos-admins, roles: [os:admin] }
    - { claim: realm_access.roles, value: "talos-*", match: glob, roles: [os:reader] }
    - { claim: groups, value: devs, roles: [os:operator], issuer: https://other.example.com }
`;

async function run(args: string[], stdin?: string, env: Record<string, string> = {}, config = CONFIG) {
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(`${dir}/server.yaml`, config);
  await Deno.writeTextFile(`${dir}/alice.json`, JSON.stringify(ALICE));
  try {
    const r = await runInProcess(rbacCommand, args.map((a) => a.replace("$DIR", dir)), { env, stdin: stdin ?? null });
    return { code: r.code, stdout: r.stdout, stderr: r.stderr };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const ALICE = {
  iss: "https://idp.example.com",
  sub: "alice",
  groups: ["talos-admins", "devs"],
  realm_access: { roles: ["talos-x"] },
};

function jwt(payload: unknown): string {
  const b = (v: unknown) => btoa(JSON.stringify(v)).replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");
  return `${b({ alg: "RS256" })}.${b(payload)}.c2lnbmF0dXJl`;
}

Deno.test("rbac test prints the roles and the rules that matched for a claims file", async () => {
  const r = await run(["test", "--config", "$DIR/server.yaml", "--claims", "$DIR/alice.json"]);
  assertEquals(r.code, 0);
  assertEquals(
    r.stdout,
    "roles: os:admin, os:reader\nmatched rules:\n" +
      '  rbac.rules[0]: groups = "talos-admins" (exact) -> os:admin\n' +
      '  rbac.rules[1]: realm_access.roles = "talos-*" (glob) -> os:reader\n',
  );
});

Deno.test("rbac test --output json reports roles, matched rules and denial", async () => {
  const r = await run(["test", "-c", "$DIR/server.yaml", "--claims", "$DIR/alice.json", "-o", "json"]);
  const body = JSON.parse(r.stdout);
  assertEquals(body.roles, ["os:admin", "os:reader"]);
  assertEquals(body.matched.map((m: { index: number }) => m.index), [0, 1]);
  assertEquals(body.denied, false);
});

Deno.test("rbac test --token decodes the JWT unverified, says so, and never prints the token", async () => {
  const token = jwt({ ...ALICE, iss: "https://other.example.com", groups: ["devs"] });
  const r = await run(["test", "-c", "$DIR/server.yaml", "--token", "-"], token);
  assertEquals(r.code, 0);
  assertStringIncludes(r.stderr, "without verifying its signature");
  assertStringIncludes(r.stdout, "roles: os:operator");
  assertStringIncludes(r.stdout, "issuer https://other.example.com");
  assert(!r.stdout.includes(token) && !r.stderr.includes(token));
});

Deno.test("rbac test reports a user no rule matches as refused", async () => {
  const r = await run(["test", "-c", "$DIR/server.yaml", "--token", jwt({ sub: "mallory", groups: ["guests"] })]);
  assertEquals(
    r.stdout,
    "roles: (none)\nno rule matched: the static roles apply\nthe exchange would be refused (403 no roles assigned)\n",
  );
});

Deno.test("rbac test refuses usage errors and garbage tokens without echoing them", async () => {
  for (const args of [["test"], ["nope", "-c", "x"], ["test", "-c", "x", "--claims", "a", "--token", "b"]]) {
    await assertRejects(() => run(args), (e) => isTalosOidcError(e, "ERR_USAGE"));
  }
  const err = await assertRejects(() => run(["test", "-c", "$DIR/server.yaml", "--token", "eyJhbGciOiJ.bad"]));
  assert(isTalosOidcError(err, "ERR_USAGE"));
  assert(!JSON.stringify([err.message, String(err.cause)]).includes("eyJhbGciOiJ"));
});

Deno.test("rbac test refuses a config with os:impersonator", async () => {
  const err = await assertRejects(() =>
    run(["test", "-c", "$DIR/server.yaml", "--claims", "$DIR/alice.json"], undefined, {
      TALOSCTL_OIDC_ROLES: "os:impersonator",
    })
  );
  assert(isTalosOidcError(err, "ERR_CONFIG"));
  assertStringIncludes(err.message, "talos-role gRPC metadata");
});

Deno.test("rbac test matches group names whole: spaces or newlines inside a group grant nothing", async () => {
  for (const groups of [["not talos-admins"], ["x\ntalos-admins"], "a talos-admins"]) {
    const r = await run(["test", "-c", "$DIR/server.yaml", "--token", jwt({ sub: "mallory", groups })]);
    assertEquals(r.code, 0);
    assertStringIncludes(r.stdout, "roles: (none)\n", JSON.stringify(groups));
  }
});

Deno.test("rbac test refuses what serve refuses: a mistyped rbac.rule key and a file that grants no role", async () => {
  const typo =
    "issuer_url: https://idp.example.com\nrbac:\n  rule:\n    - { claim: groups, value: x, roles: [os:admin] }\n";
  const err = await assertRejects(() =>
    run(["test", "-c", "$DIR/server.yaml", "--claims", "$DIR/alice.json"], undefined, {}, typo)
  );
  assert(isTalosOidcError(err, "ERR_CONFIG"));
  assertStringIncludes(err.message, 'rbac.rule: unknown key; did you mean "rules"?');
  assertStringIncludes(err.message, "no roles configured");
  assertStringIncludes(err.message, "roles: [os:admin]");
  const unknown = await assertRejects(() =>
    run(["test", "-c", "$DIR/server.yaml", "--claims", "$DIR/alice.json"], undefined, {}, CONFIG + "cert_tll: 5m\n")
  );
  assertStringIncludes((unknown as Error).message, 'config file key "cert_tll" is unknown; did you mean "cert_ttl"?');
});

Deno.test("rbac test accepts static roles granted on purpose, from the file or TALOSCTL_OIDC_ROLES", async () => {
  const file = await run(
    ["test", "-c", "$DIR/server.yaml", "--claims", "$DIR/alice.json"],
    undefined,
    {},
    "roles: [os:reader]\n",
  );
  assertEquals(file.stdout, "roles: os:reader\nno RBAC rules: the static roles apply\n");
  const env = await run(["test", "-c", "$DIR/server.yaml", "--claims", "$DIR/alice.json"], undefined, {
    TALOSCTL_OIDC_ROLES: "os:admin",
  }, "issuer_url: https://idp.example.com\n");
  assertEquals(env.stdout, "roles: os:admin\nno RBAC rules: the static roles apply\n");
});
