/** @module Tests for parseConfig: precedence, defaults, validation reported all at once. */

import { assert, assertEquals, assertMatch, assertStringIncludes } from "../tests/helpers/assert.ts";
import { parseConfig } from "./config.ts";
import { didYouMean, parseListen } from "./config_values.ts";

const BASE = {
  issuer_url: "https://idp.example.com/",
  client_id: "talosctl",
  endpoints: ["10.0.0.1"],
  talos_secrets: "/etc/talos/secrets.yaml",
  roles: ["os:admin"],
};

Deno.test("parseConfig() applies the original tool's defaults to a minimal file", () => {
  const { config, problems, warnings } = parseConfig(BASE, {});
  assertEquals(problems, []);
  assertEquals(warnings, []);
  assertEquals(config.issuerUrl, "https://idp.example.com/", "kept as written: discovery decides the spelling");
  assertEquals(config.listen, { text: ":8443", hostname: "0.0.0.0", port: 8443 });
  assertEquals(config.certTtlMs, 5 * 60_000);
  assertEquals(config.roles, ["os:admin"]);
  assertEquals(config.auditLog, "-");
  assertEquals(config.tls, { mode: "self-signed", san: [] });
  assertEquals(config.rateLimit, { requests: 300, windowMs: 60_000, perSubject: 0 }, "on, unlike the original tool");
  assertEquals(config.ca, { kind: "talos_secrets", path: "/etc/talos/secrets.yaml" });
});

Deno.test("parseConfig() returns a deeply frozen config", () => {
  const { config } = parseConfig(BASE, {});
  assert(Object.isFrozen(config) && Object.isFrozen(config.endpoints) && Object.isFrozen(config.listen));
});

Deno.test("parseConfig() lets a non-empty env var override the file and ignores an empty one", () => {
  const { config, problems } = parseConfig({ ...BASE, cert_ttl: "10m", listen: "127.0.0.1:9000" }, {
    TALOSCTL_OIDC_CERT_TTL: "2m",
    TALOSCTL_OIDC_LISTEN: "",
    TALOSCTL_OIDC_ENDPOINTS: " 10.0.0.2, ,10.0.0.3,",
    TALOSCTL_OIDC_NODES: "10.0.0.4",
  });
  assertEquals(problems, []);
  assertEquals(config.certTtlMs, 120_000);
  assertEquals(config.listen.port, 9000);
  assertEquals(config.endpoints, ["10.0.0.2", "10.0.0.3"]);
  assertEquals(config.nodes, ["10.0.0.4"]);
});

Deno.test("parseConfig() builds a whole config from the environment alone", () => {
  const { config, problems } = parseConfig(undefined, {
    TALOSCTL_OIDC_ISSUER_URL: "http://127.0.0.1:5556",
    TALOSCTL_OIDC_CLIENT_ID: "c",
    TALOSCTL_OIDC_ENDPOINTS: "a,b",
    TALOSCTL_OIDC_CA_CERT: "/ca.crt",
    TALOSCTL_OIDC_CA_KEY_DATA: "-----BEGIN PRIVATE KEY-----",
    TALOSCTL_OIDC_INSECURE: "TRUE",
    TALOSCTL_OIDC_RATE_LIMIT_REQUESTS: "10",
    TALOSCTL_OIDC_ROLES: "os:admin",
    DEBUG: "1",
  });
  assertEquals(problems, []);
  assertEquals(config.tls, { mode: "insecure" });
  assertEquals(config.rateLimit.requests, 10);
  assertEquals(config.debug, true);
  assert(config.ca?.kind === "pem" && "path" in config.ca.cert && "inline" in config.ca.key);
  assertEquals(JSON.stringify(config.ca), '{"kind":"pem","cert":{"path":"/ca.crt"},"key":{"inline":"***"}}');
});

Deno.test("parseConfig() reports every problem at once, each naming the key and its env var", () => {
  const { problems } = parseConfig({
    cert_ttl: "soon",
    rate_limit_requests: "many",
    tls_cert: "/tls.crt",
    insecure: true,
    listen: "nope",
  }, {});
  const expected = [
    /^issuer_url \/ TALOSCTL_OIDC_ISSUER_URL: required/,
    /^client_id \/ TALOSCTL_OIDC_CLIENT_ID: required/,
    /^endpoints \/ TALOSCTL_OIDC_ENDPOINTS: required/,
    /^listen \/ TALOSCTL_OIDC_LISTEN: "nope" is not host:port/,
    /^cert_ttl \/ TALOSCTL_OIDC_CERT_TTL: invalid duration "soon"/,
    /^talos_config \/ TALOSCTL_OIDC_TALOS_CONFIG: no Talos API credential: set talos_config .* or hold the OS CA here/,
    /^tls_key \/ TALOSCTL_OIDC_TLS_KEY: tls_cert and tls_key must both be set/,
    /^insecure \/ TALOSCTL_OIDC_INSECURE: cannot set both tls_cert and insecure=true/,
    /^rate_limit_requests \/ TALOSCTL_OIDC_RATE_LIMIT_REQUESTS: "many" is not a whole number/,
    /^roles \/ TALOSCTL_OIDC_ROLES: no roles configured/,
  ];
  for (const re of expected) assert(problems.some((p) => re.test(p)), `missing ${re} in\n${problems.join("\n")}`);
  assertEquals(problems.length, expected.length, problems.join("\n"));
});

Deno.test("parseConfig() bounds cert_ttl between 1m and 24h", () => {
  for (const ttl of ["30s", "25h"]) {
    const { problems } = parseConfig({ ...BASE, cert_ttl: ttl }, {});
    assertMatch(
      problems[0] ?? "",
      /cert_ttl \/ TALOSCTL_OIDC_CERT_TTL: ".*" is out of range: use a value from 1m to 24h/,
    );
  }
  assertEquals(parseConfig({ ...BASE, cert_ttl: "24h" }, {}).problems, []);
});

Deno.test("parseConfig() refuses os:impersonator with the reason and unknown roles with the list", () => {
  const { problems } = parseConfig({ ...BASE, roles: ["os:impersonator", "os:root", "os:reader"] }, {});
  assertEquals(problems.length, 2);
  assertStringIncludes(problems[0]!, 'roles / TALOSCTL_OIDC_ROLES: role "os:impersonator" is refused');
  assertStringIncludes(problems[0]!, "talos-role gRPC metadata");
  assertStringIncludes(problems[1]!, 'role "os:root" cannot be issued: use one of os:admin, os:operator');
});

Deno.test("parseConfig() leaves roles empty (deny unless a rule matches) when only RBAC rules are set", () => {
  const rules = { rules: [{ claim: "groups", value: "talos-admins", roles: ["os:admin"] }] };
  assertEquals(parseConfig({ ...BASE, roles: undefined, rbac: rules }, {}).config.roles, []);
  assertEquals(parseConfig({ ...BASE, roles: undefined, rbac: rules }, {}).config.rbacRules, rules.rules);
  assertEquals(parseConfig({ ...BASE, roles: ["os:reader"], rbac: rules }, {}).config.roles, ["os:reader"]);
});

Deno.test("parseConfig() checks RBAC rules and their roles", () => {
  const { problems } = parseConfig({
    ...BASE,
    rbac: { rules: [{ claim: "groups", value: "x", roles: ["os:impersonator"] }, { value: "y", match: "fuzzy" }] },
  }, {});
  const text = problems.join("\n");
  assertStringIncludes(text, 'rbac.rules[0].roles[0]: "os:impersonator" is refused');
  assertStringIncludes(text, "rbac.rules[1].claim: must be a non-empty string");
  assertStringIncludes(text, "rbac.rules[1].match: must be one of exact, glob, regex");
  assert(problems.every((p) => p.endsWith("(rbac rules are read from the config file only)")));
});

Deno.test("parseConfig() refuses a plain-http issuer that is not on loopback", () => {
  const { problems } = parseConfig({ ...BASE, issuer_url: "http://idp.example.com" }, {});
  assertMatch(problems[0] ?? "", /^issuer_url \/ TALOSCTL_OIDC_ISSUER_URL: .* must use https/);
});

Deno.test("parseConfig() refuses bad allowlist entries and mixed CA sources", () => {
  const { problems } = parseConfig({ ...BASE, ca_cert: "/c", ip_allowlist: ["10.0.0.0/8", "10.0.0.0/33", "x"] }, {});
  assertEquals(problems.length, 3, problems.join("\n"));
  assertStringIncludes(problems.join("\n"), "set either talos_secrets or ca_cert/ca_key");
  assertStringIncludes(problems.join("\n"), 'ip_allowlist / TALOSCTL_OIDC_IP_ALLOWLIST: "10.0.0.0/33" is not an IP');
});

Deno.test("parseConfig() treats an unrecognised insecure value as false with a warning", () => {
  const { config, warnings } = parseConfig({ ...BASE, insecure: true }, { TALOSCTL_OIDC_INSECURE: "yes please" });
  assertEquals(config.tls.mode, "self-signed");
  assertStringIncludes(warnings[0] ?? "", "treated as false");
});

Deno.test("parseListen() splits host:port forms", () => {
  assertEquals(parseListen(":8443"), { hostname: "0.0.0.0", port: 8443 });
  assertEquals(parseListen("[::1]:0"), { hostname: "::1", port: 0 });
  assertEquals(parseListen("talos-oidc.local:443"), { hostname: "talos-oidc.local", port: 443 });
  assertEquals(parseListen("8443"), undefined);
  assertEquals(parseListen(":70000"), undefined);
});

Deno.test("didYouMean() suggests only close candidates", () => {
  assertEquals(didYouMean("endpoint", ["endpoints", "nodes"]), '; did you mean "endpoints"?');
  assertEquals(didYouMean("zzzzzz", ["endpoints", "nodes"]), "");
});

Deno.test("parseConfig() reads max_token_age (default 24h) and bounds it between 1m and 168h", () => {
  assertEquals(parseConfig(BASE, {}).config.maxTokenAgeMs, 24 * 3_600_000);
  assertEquals(parseConfig({ ...BASE, max_token_age: "1h" }, {}).config.maxTokenAgeMs, 3_600_000);
  assertEquals(parseConfig(BASE, { TALOSCTL_OIDC_MAX_TOKEN_AGE: "10m" }).config.maxTokenAgeMs, 600_000);
  for (const age of ["30s", "169h", "forever"]) {
    const { problems } = parseConfig({ ...BASE, max_token_age: age }, {});
    assertMatch(problems[0] ?? "", /^max_token_age \/ TALOSCTL_OIDC_MAX_TOKEN_AGE: /);
  }
});
