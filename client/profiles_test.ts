/** @module Profiles: written and read back, relative CA paths, flags on the command line win over the profile. */

import { parseFlags } from "../shared/cli.ts";
import { isTalosOidcError } from "../shared/errors.ts";
import { assert, assertEquals, assertRejects, assertThrows } from "../tests/helpers/assert.ts";
import { loginSpec } from "./login/flags.ts";
import { statusSpec } from "./commands/status.ts";
import {
  applyNamedProfile,
  applyProfile,
  decodeProfile,
  listProfiles,
  loginCommandFor,
  profileFlagValues,
  profilePath,
  readProfile,
  writeProfile,
} from "./profiles.ts";

Deno.test("writeProfile() then readProfile() round-trips a profile and pins the CA beside it, both 0600", async () => {
  const home = await Deno.makeTempDir();
  try {
    const env = { HOME: home, XDG_CONFIG_HOME: `${home}/cfg` };
    const path = await writeProfile(
      {
        name: "prod",
        provider: "https://id.example.com",
        clientId: "talosctl",
        server: "https://s:8443",
        callbackPort: 9000,
      },
      env,
      "-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----",
    );
    assertEquals(path, `${home}/cfg/talosctl-oidc/profiles/prod.yaml`);
    const p = await readProfile("prod", env);
    assertEquals(p.serverCa, `${home}/cfg/talosctl-oidc/profiles/prod-ca.pem`);
    assertEquals([p.provider, p.clientId, p.server, p.callbackPort], [
      "https://id.example.com",
      "talosctl",
      "https://s:8443",
      9000,
    ]);
    assertEquals((await Deno.stat(path)).mode! & 0o777, 0o600);
    assertEquals(await listProfiles(env), ["prod"]);
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("readProfile() of a missing profile names the saved ones", async () => {
  const home = await Deno.makeTempDir();
  try {
    const env = { HOME: home, XDG_CONFIG_HOME: `${home}/cfg` };
    await writeProfile({ name: "a", provider: "https://i", clientId: "c", server: "https://s" }, env);
    await assertRejects(() => readProfile("b", env), (e) => /saved profiles: a/.test((e as { hint: string }).hint));
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("decodeProfile() resolves a relative server_ca against the profile's directory and requires the basics", () => {
  const p = decodeProfile("x", "provider: https://i\nclient_id: c\nserver: https://s\nserver_ca: x-ca.pem\n", "/d", {});
  assertEquals(p.serverCa, "/d/x-ca.pem");
  assertThrows(
    () => decodeProfile("x", "provider: https://i\n", "/d", {}),
    (e) => /lacks client_id, server/.test(String(e)),
  );
});

Deno.test("decodeProfile() reads the callback's TLS pair (~ and relative paths resolved) and refuses half a pair", () => {
  const base = "provider: https://i\nclient_id: c\nserver: https://s\n";
  const p = decodeProfile("x", base + "local_server_cert: ~/cb.pem\nlocal_server_key: cb-key.pem\n", "/d", {
    HOME: "/home/u",
  });
  assertEquals([p.localServerCert, p.localServerKey], ["/home/u/cb.pem", "/d/cb-key.pem"]);
  assertEquals(profileFlagValues(p)["local-server-cert"], "/home/u/cb.pem");
  assertThrows(
    () => decodeProfile("x", base + "local_server_cert: /cb.pem\n", "/d", {}),
    (e) => /has only one of local_server_cert and local_server_key/.test(String(e)),
  );
});

Deno.test("profilePath() refuses names that are not plain file names", () => {
  assertThrows(() => profilePath("../etc", { HOME: "/h" }), (e) => /invalid profile name/.test(String(e)));
});

Deno.test("applyProfile() fills login flags the command line did not give, and marks them explicit", () => {
  const parsed = parseFlags(loginSpec, ["--server", "https://other:8443"], {});
  applyProfile(parsed, { name: "p", provider: "https://i", clientId: "c", server: "https://s", callbackPort: 9000 });
  assertEquals([parsed.values.provider, parsed.values["client-id"], parsed.values.server], [
    "https://i",
    "c",
    "https://other:8443",
  ]);
  assertEquals(parsed.values["callback-port"], "9000");
  assertEquals(parsed.explicit.has("callback-port"), true);
});

Deno.test("loginCommandFor() prints the equivalent login command without the client secret", () => {
  const cmd = loginCommandFor({
    name: "g",
    provider: "https://accounts.google.com",
    clientId: "1-a.apps",
    server: "https://s",
    clientSecret: "GOCSPX-x",
    serverCa: "/p/my ca.pem",
  });
  assertEquals(
    cmd,
    "talosctl-oidc login --provider https://accounts.google.com --client-id 1-a.apps --server https://s --server-ca '/p/my ca.pem'",
  );
});

Deno.test("applyProfile() orders values flag > non-empty env > profile > default", () => {
  const profile = {
    name: "p",
    provider: "https://profile-idp",
    clientId: "profile-client",
    server: "https://s",
    contextName: "from-profile",
  };
  const env = { TALOSCTL_OIDC_CLIENT_ID: "env-client", TALOSCTL_OIDC_PROVIDER: "" };
  const parsed = parseFlags(loginSpec, ["--context-name", "from-flag"], env);
  applyProfile(parsed, profile, env);
  const v = parsed.values;
  assertEquals([v.provider, v["client-id"], v["context-name"]], ["https://profile-idp", "env-client", "from-flag"]);
  assertEquals([v["callback-port"], v.scopes], ["8900", ["openid", "profile", "email", "offline_access"]]);
  assertEquals(parsed.explicit.has("callback-port"), false);
});

Deno.test("--no-device-code turns off a profile's saved device flow; without it the profile's value holds", () => {
  const profile = { name: "p", provider: "https://i", clientId: "c", server: "https://s", deviceCode: true };
  const off = parseFlags(loginSpec, ["--no-device-code"], {});
  applyProfile(off, profile);
  assertEquals([off.values["device-code"], off.explicit.has("device-code")], [false, true]);
  const kept = parseFlags(loginSpec, [], {});
  applyProfile(kept, profile);
  assertEquals(kept.values["device-code"], true);
});

Deno.test("applyProfile() fills only the command's own flags", () => {
  const parsed = parseFlags(statusSpec, [], {});
  applyProfile(parsed, { name: "p", provider: "https://i", clientId: "c", server: "https://s", contextName: "prod" });
  assertEquals([parsed.values["context-name"], parsed.values.server], ["prod", "https://s"]);
  assertEquals(Object.hasOwn(parsed.values, "provider"), false);
});

Deno.test("applyProfile() drops the pinned CA when --server names another server, keeps it for the same one", () => {
  const profile = { name: "p", provider: "https://i", clientId: "c", server: "https://s:8443", serverCa: "/p/ca.pem" };
  const other = applyProfile(parseFlags(loginSpec, [], { TALOSCTL_OIDC_SERVER: "https://t:8443" }), profile);
  assertEquals([other.values.server, other.values["server-ca"]], ["https://t:8443", undefined]);
  const same = applyProfile(parseFlags(loginSpec, ["--server", "https://s:8443/"], {}), profile);
  assertEquals(same.values["server-ca"], "/p/ca.pem");
});

Deno.test("applyProfile() takes the profile's talosconfig unless --talosconfig, $TALOSCONFIG or $TALOS_HOME is set", () => {
  const profile = { name: "p", provider: "https://i", clientId: "c", server: "https://s", talosconfig: "~/prod.yaml" };
  const take = (args: string[], env: Record<string, string>) =>
    applyProfile(parseFlags(loginSpec, args, env), profile, env).values.talosconfig;
  assertEquals(take([], {}), "~/prod.yaml");
  assertEquals(take(["--talosconfig", "/x"], {}), "/x");
  assertEquals(take([], { TALOSCONFIG: "/env" }), undefined);
  assertEquals(take([], { TALOS_HOME: "/talos" }), undefined);
  assertEquals(take([], { TALOS_HOME: "relative" }), "~/prod.yaml");
});

Deno.test("applyNamedProfile() reads --profile or TALOSCTL_OIDC_PROFILE; a missing one is ERR_CONFIG naming the saved ones", async () => {
  const home = await Deno.makeTempDir();
  try {
    const env = { HOME: home, XDG_CONFIG_HOME: `${home}/cfg` };
    await writeProfile(
      { name: "dev", provider: "https://i", clientId: "c", server: "https://s", talosconfig: "/t" },
      env,
    );
    await writeProfile({ name: "prod", provider: "https://i", clientId: "c", server: "https://s" }, env);
    assertEquals(await applyNamedProfile(parseFlags(loginSpec, [], env), env), undefined);
    const byEnv = parseFlags(loginSpec, [], { ...env, TALOSCTL_OIDC_PROFILE: "dev" });
    assertEquals((await applyNamedProfile(byEnv, env))?.name, "dev");
    assertEquals(byEnv.values.talosconfig, "/t");
    const err = await assertRejects(() => applyNamedProfile(parseFlags(loginSpec, ["--profile", "stage"], env), env));
    assert(isTalosOidcError(err, "ERR_CONFIG"));
    assertEquals(err.message, `profile "stage" does not exist in "${home}/cfg/talosctl-oidc/profiles"`);
    assertEquals(err.hint, "saved profiles: dev, prod");
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});
