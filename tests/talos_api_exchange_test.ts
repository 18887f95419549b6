/** @module /exchange through the talos_api backend: a real server, a real gRPC Talos stand-in, real tokens. */

import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { fixedClock } from "../shared/clock.ts";
import { loadServerConfig } from "../server/config_loader.ts";
import { assert, assertEquals, assertMatch, assertStringIncludes } from "./helpers/assert.ts";
import { createDevCa } from "./helpers/dev_ca.ts";
import { startTestIdp } from "./helpers/idp.ts";
import { serverTalosconfig, startTalosApiStandIn } from "./helpers/talos_api.ts";
import { startTalosApiServer } from "./helpers/talos_api_server.ts";

Deno.test("/exchange through the Talos API returns Talos's ca, crt and key unchanged and audits cert_issued", async () => {
  await using idp = await startTestIdp();
  await using t = await startTalosApiServer({ idp, config: { roles: ["os:reader"] } });
  const logs = t.logs.join("\n");
  assertStringIncludes(logs, `Issuing via Talos API using talosconfig ${t.credentialPath}`);
  const token = await idp.mint({ email: "alice@example.com" });
  const csr = "-----BEGIN CERTIFICATE REQUEST-----\nMIIB\n-----END CERTIFICATE REQUEST-----\n";
  for (const body of [{ id_token: token }, { id_token: token, csr }]) {
    const res = await t.request("/exchange", body);
    assertEquals(res.status, 200, JSON.stringify(res.json));
    assertEquals(res.json.ca, t.ca.certPem);
    assertMatch(String(res.json.key), /^-----BEGIN ED25519 PRIVATE KEY-----\n/, "Talos's key, even with a CSR");
    assertEquals(res.json.endpoints, [t.talos.endpoint]);
    assert(Number(res.json.ttl_seconds) >= 299 && Number(res.json.ttl_seconds) <= 300, String(res.json.ttl_seconds));
  }
  assertEquals((await t.talos.calls()).map((r) => [r.roles, r.ttlSeconds]), [[["os:reader"], 300], [
    ["os:reader"],
    300,
  ]]);
  const issued = t.audit.filter((e) => e.type === "cert_issued");
  assertEquals(issued.length, 2);
  assertMatch(String(issued[0]!.cert_fingerprint), /^[0-9a-f]{64}$/);
  const ready = await t.request("/readyz");
  assertEquals(ready, { status: 200, json: { status: "ready", checks: { talos_api: true, oidc: true, audit: true } } });
});

Deno.test("Talos down: 502 ERR_TALOS_API, cert_error naming endpoint and gRPC status, not ready; back up: issues again", async () => {
  await using idp = await startTestIdp();
  const clock = fixedClock(new Date());
  await using t = await startTalosApiServer({ idp, clock, config: { roles: ["os:admin"] } });
  const token = await idp.mint({ email: "alice@example.com" });
  await t.talos.stop();
  const down = await t.request("/exchange", { id_token: token });
  assertEquals(down.status, 502);
  assertEquals([down.json.error, down.json.code], ["Talos API unavailable", "ERR_TALOS_API"]);
  assert(typeof down.json.request_id === "string" && !("stack" in down.json));
  const error = t.audit.find((e) => e.type === "cert_error");
  assertMatch(String(error?.error), new RegExp(`^Talos API unavailable: ${t.talos.endpoint}: UNAVAILABLE: `));
  clock.advance(6000);
  const notReady = await t.request("/readyz");
  assertEquals([notReady.status, notReady.json.checks], [503, { talos_api: false, oidc: true, audit: true }]);

  await using back = await startTalosApiStandIn({ ca: t.ca, port: t.talos.port });
  const up = await t.request("/exchange", { id_token: token });
  assertEquals(up.status, 200, JSON.stringify(up.json));
  assertEquals((await back.calls()).length, 1);
  assertEquals((await t.request("/readyz")).status, 200);
});

const ROOT = fileURLToPath(new URL("..", import.meta.url));

Deno.test("serve refuses to start when its Talos credential lacks os:admin, saying which roles it has and how to fix it", async () => {
  await using idp = await startTestIdp();
  const dir = await Deno.makeTempDir();
  try {
    const ca = await createDevCa("ed25519");
    const path = join(dir, "talosconfig");
    await Deno.writeTextFile(path, await serverTalosconfig(ca, { roles: ["os:reader"] }), { mode: 0o600 });
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "main.ts", "serve"],
      cwd: ROOT,
      clearEnv: true,
      env: {
        HOME: dir,
        RUST_BACKTRACE: "0",
        NO_COLOR: "1",
        TALOSCTL_OIDC_ISSUER_URL: idp.issuer,
        TALOSCTL_OIDC_CLIENT_ID: idp.clientId,
        TALOSCTL_OIDC_ENDPOINTS: "127.0.0.1",
        TALOSCTL_OIDC_LISTEN: "127.0.0.1:0",
        TALOSCTL_OIDC_ROLES: "os:reader",
        TALOSCONFIG: path,
      },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(out.stderr);
    assertEquals(out.code, 2, stderr);
    // log_format json (the default): the problems are the list of the one error line.
    const error = stderr.trim().split("\n").map((l) => JSON.parse(l)).find((l) => l.level === "error");
    const problems = (error?.problems ?? []).join("\n");
    assertStringIncludes(
      problems,
      `TALOSCONFIG: the client certificate in "${path}" (context "talosctl-oidc") has roles [os:reader]`,
    );
    assertStringIncludes(problems, "needs os:admin: create one with: talosctl config new --roles os:admin");
    assertStringIncludes(problems, "talos.dev/v1alpha1 ServiceAccount");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the loader warns about a credential expiring within 7 days and names a missing file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const ca = await createDevCa("ed25519");
    const path = join(dir, "talosconfig");
    const soon = new Date(Date.now() + 3 * 86_400_000);
    await Deno.writeTextFile(path, await serverTalosconfig(ca, { notAfter: soon }), { mode: 0o600 });
    const env = {
      TALOSCTL_OIDC_ISSUER_URL: "https://idp.example.com",
      TALOSCTL_OIDC_CLIENT_ID: "c",
      TALOSCTL_OIDC_ROLES: "os:reader",
    };
    const base = { ...env, TALOSCTL_OIDC_ENDPOINTS: "10.0.0.1", HOME: dir };
    const ok = await loadServerConfig({ env: { ...base, TALOSCTL_OIDC_TALOS_CONFIG: path } });
    assertEquals(ok.problems, []);
    assert(ok.talos?.roles.includes("os:admin"));
    assertMatch(ok.warnings.join("\n"), /Talos API credential ".*" expires at .* \(in 2d23h\): renew it/);
    const missing = await loadServerConfig({ env: base });
    assertMatch(
      missing.problems.join("\n"),
      new RegExp(`the Talos API credential "${dir}/.talos/config" \\(the default ~/.talos/config\\) does not exist`),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
