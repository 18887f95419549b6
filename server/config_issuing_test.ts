/** @module Tests for the issuing-backend config: defaults, the CA-and-credential clash, credential path order. */

import { assertEquals, assertMatch, assertStringIncludes } from "../tests/helpers/assert.ts";
import { parseConfig } from "./config.ts";

const BASE = {
  issuer_url: "https://idp.example.com",
  client_id: "talosctl",
  endpoints: ["10.0.0.1", "[fd00::2]:50001"],
  roles: ["os:reader"],
};
const CA = { talos_secrets: "/etc/talos/secrets.yaml" };

Deno.test("issuer_backend defaults to local_ca with a CA and to talos_api without one", () => {
  const local = parseConfig({ ...BASE, ...CA }, {});
  assertEquals([local.problems, local.config.issuerBackend, local.config.talosApi], [[], "local_ca", undefined]);
  const api = parseConfig(BASE, { HOME: "/home/ops" });
  assertEquals(api.problems, []);
  assertEquals(api.config.issuerBackend, "talos_api");
  assertEquals(api.config.ca, undefined);
  assertEquals(api.config.talosApi, {
    kind: "talosconfig",
    path: "/home/ops/.talos/config",
    from: "the default ~/.talos/config",
    endpoints: ["10.0.0.1", "[fd00::2]:50001"],
    timeoutMs: 5000,
  });
  const own = parseConfig({ ...BASE, talos_api_endpoints: "talos.default" }, { HOME: "/h" }).config.talosApi;
  assertEquals(own?.kind === "talosconfig" && own.endpoints, ["talos.default"], "talos_api_endpoints wins");
});

Deno.test("the talosconfig path: talos_config (env over file, ~ expanded), then TALOSCONFIG, then ~/.talos/config", () => {
  const env = { HOME: "/h", TALOSCONFIG: "/var/run/secrets/talos.dev/config" };
  const path = (file: Record<string, unknown>, e: Record<string, string>) => {
    const { config, problems } = parseConfig({ ...BASE, ...file }, e);
    assertEquals(problems, []);
    return config.talosApi?.kind === "talosconfig" ? [config.talosApi.path, config.talosApi.from] : [];
  };
  assertEquals(path({ talos_config: "~/oidc.talosconfig" }, env), [
    "/h/oidc.talosconfig",
    "talos_config / TALOSCTL_OIDC_TALOS_CONFIG",
  ]);
  assertEquals(path({ talos_config: "/a" }, { ...env, TALOSCTL_OIDC_TALOS_CONFIG: "/b" })[0], "/b");
  assertEquals(path({}, env), ["/var/run/secrets/talos.dev/config", "TALOSCONFIG"]);
  assertEquals(path({}, { HOME: "/h" })[0], "/h/.talos/config");
});

Deno.test("a CA and a Talos API credential without issuer_backend is an error naming both", () => {
  const { problems } = parseConfig({ ...BASE, ...CA, ca_cert: "/ca.crt", talos_config: "/t" }, {});
  const clash = problems.find((p) => p.startsWith("issuer_backend / TALOSCTL_OIDC_ISSUER_BACKEND:"));
  assertMatch(
    clash ?? problems.join("\n"),
    /both a Talos CA \(talos_secrets, ca_cert\) and a Talos API credential \(talos_config\)/,
  );
  assertStringIncludes(clash!, "set issuer_backend to local_ca");
  const socket = parseConfig({ ...BASE, ...CA }, { TALOSCTL_OIDC_TALOS_SOCKET: "/system/run/machined/machine.sock" });
  assertMatch(socket.problems.join("\n"), /a Talos API credential \(talos_socket\)/);
});

Deno.test("an explicit issuer_backend picks one and warns that the other's keys are ignored", () => {
  const api = parseConfig({ ...BASE, ...CA, talos_config: "/t", issuer_backend: "talos_api" }, {});
  assertEquals([api.problems, api.config.issuerBackend, api.config.ca], [[], "talos_api", undefined]);
  assertMatch(api.warnings.join("\n"), /talos_secrets ignored: issuer_backend is talos_api; remove the CA/);
  const local = parseConfig({ ...BASE, ...CA, talos_config: "/t" }, { TALOSCTL_OIDC_ISSUER_BACKEND: "local_ca" });
  assertEquals([local.problems, local.config.issuerBackend, local.config.talosApi], [[], "local_ca", undefined]);
  assertMatch(local.warnings.join("\n"), /talos_config ignored: issuer_backend is local_ca/);
  const bad = parseConfig({ ...BASE, issuer_backend: "vault" }, { HOME: "/h" });
  assertEquals(bad.problems, [
    'issuer_backend / TALOSCTL_OIDC_ISSUER_BACKEND: "vault" is not a backend: use local_ca or talos_api',
  ]);
  const noCa = parseConfig({ ...BASE, issuer_backend: "local_ca" }, {});
  assertMatch(noCa.problems.join("\n"), /^talos_secrets .*issuer_backend is local_ca but no Talos CA is configured/);
});

Deno.test("talos_api: the socket mode, its path rule, bad endpoints and the per-call timeout", () => {
  const sock = parseConfig({ ...BASE, talos_socket: "/system/run/machined/machine.sock", talos_api_timeout: "2s" }, {});
  assertEquals(sock.problems, []);
  assertEquals(sock.config.talosApi, { kind: "socket", path: "/system/run/machined/machine.sock", timeoutMs: 2000 });
  const { problems } = parseConfig({
    ...BASE,
    endpoints: ["10.0.0.1:99999", "https://x", "ok.example.com:50000"],
    talos_socket: "machine.sock",
    talos_config: "/t",
    talos_api_timeout: "5m",
  }, {});
  assertEquals(problems.sort(), [
    'endpoints / TALOSCTL_OIDC_ENDPOINTS: "10.0.0.1:99999" is not host, host:port or [IPv6]:port (the port defaults to 50000)',
    'endpoints / TALOSCTL_OIDC_ENDPOINTS: "https://x" is not host, host:port or [IPv6]:port (the port defaults to 50000)',
    'talos_api_timeout / TALOSCTL_OIDC_TALOS_API_TIMEOUT: "5m" is out of range: use a value from 1s to 1m',
    'talos_socket / TALOSCTL_OIDC_TALOS_SOCKET: "machine.sock" must be an absolute path',
    "talos_socket / TALOSCTL_OIDC_TALOS_SOCKET: set talos_config or talos_socket, not both",
  ]);
});
