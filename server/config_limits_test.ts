/** @module Tests for the limit keys of the config: max_connections, the rate limits, admin_token's length. */

import { assertEquals, assertMatch } from "../tests/helpers/assert.ts";
import { parseConfig } from "./config.ts";
import { DEFAULT_MAX_CONNECTIONS, DEFAULT_RATE_LIMIT_REQUESTS, MIN_ADMIN_TOKEN_LENGTH } from "./config_limits.ts";

const BASE = {
  issuer_url: "https://idp.example.com",
  client_id: "talosctl",
  endpoints: ["10.0.0.1"],
  talos_secrets: "/etc/talos/secrets.yaml",
  roles: ["os:reader"],
};

Deno.test("parseConfig() caps connections at 1024 unless max_connections says otherwise, and never at 0", () => {
  assertEquals(parseConfig(BASE, {}).config.maxConnections, DEFAULT_MAX_CONNECTIONS);
  assertEquals(DEFAULT_MAX_CONNECTIONS, 1024);
  assertEquals(parseConfig(BASE, { TALOSCTL_OIDC_MAX_CONNECTIONS: "64" }).config.maxConnections, 64);
  const { problems } = parseConfig({ ...BASE, max_connections: 0 }, {});
  assertMatch(problems.join("\n"), /^max_connections \/ TALOSCTL_OIDC_MAX_CONNECTIONS: must be at least 1/);
});

Deno.test("parseConfig() refuses an admin_token shorter than 32 characters, saying how to make one", () => {
  const short = parseConfig({ ...BASE, admin_token: "s3cret-admin" }, {});
  assertEquals(short.problems, [
    "admin_token / TALOSCTL_OIDC_ADMIN_TOKEN: is 12 characters long: use at least 32 random characters, " +
    "for example the output of `openssl rand -base64 32`",
  ]);
  const fromEnv = parseConfig(BASE, { TALOSCTL_OIDC_ADMIN_TOKEN: "x".repeat(MIN_ADMIN_TOKEN_LENGTH - 1) });
  assertEquals(fromEnv.problems.length, 1);
  const ok = parseConfig(BASE, { TALOSCTL_OIDC_ADMIN_TOKEN: "x".repeat(MIN_ADMIN_TOKEN_LENGTH) });
  assertEquals([ok.problems, ok.config.adminToken?.reveal().length], [[], 32]);
  assertEquals(String(ok.config.adminToken), "***", "still printed as ***");
});

Deno.test("parseConfig() limits /exchange to 300 requests per address per minute by default; 0 turns it off", () => {
  assertEquals(DEFAULT_RATE_LIMIT_REQUESTS, 300);
  assertEquals(parseConfig(BASE, {}).config.rateLimit, { requests: 300, windowMs: 60_000, perSubject: 0 });
  assertEquals(parseConfig({ ...BASE, rate_limit_requests: 0 }, {}).config.rateLimit.requests, 0);
  assertEquals(parseConfig(BASE, { TALOSCTL_OIDC_RATE_LIMIT_REQUESTS: "0" }).config.rateLimit.requests, 0);
});
