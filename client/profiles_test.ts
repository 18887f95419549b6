/** @module Profiles: written and read back, relative CA paths, flags on the command line win over the profile. */

import { parseFlags } from "../shared/cli.ts";
import { assertEquals, assertRejects, assertThrows } from "../tests/helpers/assert.ts";
import { loginSpec } from "./commands/login_options.ts";
import {
  applyProfile,
  decodeProfile,
  listProfiles,
  loginCommandFor,
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
