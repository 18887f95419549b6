/** @module `setup` against the real test IdP and a real exchange server: claims shown, RBAC suggested, CA pinned. */

import { createSetupCommand } from "../client/commands/setup.ts";
import { loginCommand } from "../client/commands/login.ts";
import { loginCommandFor, profileFlagValues, readProfile } from "../client/profiles.ts";
import { mintLoopbackCert } from "./helpers/loopback_cert.ts";
import { TalosOidcError } from "../shared/errors.ts";
import { allowHttpsCallback } from "./helpers/https_callback.ts";
import { readContextCert } from "../client/talosconfig/cert.ts";
import { readTalosconfig } from "../client/talosconfig/read.ts";
import type { BrowserOpener } from "../client/browser.ts";
import { type CommandContext, runCommand } from "../shared/cli.ts";
import { assert, assertEquals, assertMatch, assertRejects, assertStringIncludes } from "./helpers/assert.ts";
import { walkLogin } from "./helpers/browser_walker.ts";
import { startTestIdp } from "./helpers/idp.ts";
import { startTestServer } from "./helpers/server.ts";

/** A "browser" that walks the test IdP's login page as `user` (not awaited by open: the callback answers last). */
function walker(user: string, callbackCaPem?: string): BrowserOpener & { opened: number; done(): Promise<unknown> } {
  const walks: Promise<unknown>[] = [];
  return {
    opened: 0,
    open(url) {
      this.opened++;
      const w = walkLogin(url, user, user, callbackCaPem);
      walks.push(w);
      return Promise.resolve({ command: "walker", wait: () => w.then(() => true) });
    },
    done: () => Promise.all(walks),
  };
}

async function withHome<T>(fn: (home: string, env: Record<string, string>) => Promise<T>): Promise<T> {
  const home = await Deno.makeTempDir();
  try {
    return await fn(home, { HOME: home, XDG_CONFIG_HOME: `${home}/.config`, TALOSCTL_OIDC_KEYCHAIN: "off" });
  } finally {
    await Deno.remove(home, { recursive: true });
  }
}

function context(args: string[], env: Record<string, string>, sink: { out: string; err: string }): CommandContext {
  return {
    args,
    env,
    stdio: { stdout: (t) => void (sink.out += t), stderr: (t) => void (sink.err += t), isTerminal: false },
    signal: new AbortController().signal,
  };
}

Deno.test("setup signs in at the IdP, prints the ID token's claims and suggests a rule for each of alice's groups", async () => {
  await using idp = await startTestIdp();
  await withHome(async (_home, env) => {
    const browser = walker("alice");
    const sink = { out: "", err: "" };
    const args = ["--provider", idp.issuer, "--client-id", idp.clientId, "--callback-port", "0"];
    assertEquals(await runCommand(createSetupCommand({ browser }), context(args, env, sink)), 0, sink.err);
    await browser.done();
    assertMatch(sink.out, /^ok +PKCE +S256 supported$/m);
    assertMatch(sink.out, /^ok +public client +the IdP accepts public clients/m);
    assertMatch(sink.out, /^ok +groups scope /m);
    const claims = JSON.parse(sink.out.match(/RBAC sees\):\n(\{[\s\S]*?\n\})\n/)![1]!);
    assertEquals([claims.sub, claims.email, claims.groups], ["alice", "alice@example.com", ["talos-admins", "devs"]]);
    assertEquals(claims.iss, idp.issuer);
    assertStringIncludes(sink.out, "roles: []");
    assertStringIncludes(sink.out, "    - { claim: groups, value: talos-admins, roles: [os:admin] }\n");
    assertStringIncludes(sink.out, "    - { claim: groups, value: devs, roles: [os:reader] }\n");
    assertStringIncludes(sink.out, "Next: run setup again with --server URL");
    assertEquals(browser.opened, 1);
  });
});

Deno.test("setup suggests rules naming the user when the ID token has no groups", async () => {
  await using idp = await startTestIdp({ users: [{ sub: "carol", password: "carol", email: "carol@example.com" }] });
  await withHome(async (_home, env) => {
    const browser = walker("carol");
    const sink = { out: "", err: "" };
    const args = ["--provider", idp.issuer, "--client-id", idp.clientId, "--callback-port", "0"];
    assertEquals(await runCommand(createSetupCommand({ browser }), context(args, env, sink)), 0, sink.err);
    await browser.done();
    assertStringIncludes(sink.out, "    - { claim: email, value: carol@example.com, roles: [os:admin] }\n");
    assertStringIncludes(sink.out, "# note: no group or role claim in the ID token");
  });
});

Deno.test("setup refuses to pin the server's CA without a terminal, a fingerprint or --yes", async () => {
  await using idp = await startTestIdp();
  await using srv = await startTestServer({ idp });
  await withHome(async (_home, env) => {
    const browser = walker("bob");
    const sink = { out: "", err: "" };
    const args = ["--provider", idp.issuer, "--client-id", idp.clientId, "--callback-port", "0", "--server", srv.url];
    const err = await assertRejects(() => runCommand(createSetupCommand({ browser }), context(args, env, sink)));
    await browser.done();
    assertMatch(String(err), /cannot ask to confirm the server's CA: not a terminal/);
    assertMatch(sink.err, /SHA-256 +[0-9a-f]{64}/);
  });
});

Deno.test("setup pins the CA whose fingerprint matches, saves a profile, and login with it reuses the cached token", async () => {
  await using idp = await startTestIdp();
  await using srv = await startTestServer({ idp, config: { roles: [], rbac: { rules: [rule("talos-admins")] } } });
  const fp = new (await import("node:crypto")).X509Certificate(srv.tlsCaPem!).fingerprint256;
  await withHome(async (home, env) => {
    const browser = walker("alice");
    const sink = { out: "", err: "" };
    const args = [
      ...["--provider", idp.issuer, "--client-id", idp.clientId, "--callback-port", "0", "--server", srv.url],
      ...["--server-ca-fingerprint", fp, "--profile", "dev"],
    ];
    assertEquals(await runCommand(createSetupCommand({ browser }), context(args, env, sink)), 0, sink.err);
    await browser.done();
    assertMatch(sink.out, /ok +pinned the server's CA \(SHA-256 [0-9a-f]{64}\)/);
    assertStringIncludes(sink.out, "talosctl-oidc login --profile dev");
    const profile = await readProfile("dev", env);
    assertEquals(await Deno.readTextFile(profile.serverCa!), srv.tlsCaPem!.trim() + "\n");
    assertEquals((await Deno.stat(profile.serverCa!)).mode! & 0o777, 0o600);

    // What "login --profile dev" will do: the profile's values as flags; no browser (setup cached the tokens).
    const flags = Object.entries(profileFlagValues(profile)).flatMap(([k, v]) =>
      v === true ? [`--${k}`] : [`--${k}`, Array.isArray(v) ? v.join(",") : String(v)]
    );
    const login = { out: "", err: "" };
    const loginArgs = [...flags, "--talosconfig", `${home}/talosconfig`, "--browser-command", "false"];
    assertEquals(await runCommand(loginCommand, context(loginArgs, env, login)), 0, login.err);
    assertStringIncludes(login.err, "Using the cached ID token");
    const cert = readContextCert((await readTalosconfig(`${home}/talosconfig`)).doc, "oidc");
    assert(cert);
    assertEquals(cert.roles, ["os:admin"]);
  });
});

Deno.test("setup signs in over an https:// callback with --local-server-cert/key and saves the pair in the profile", async () => {
  await using idp = await startTestIdp();
  await using srv = await startTestServer({ idp, config: { roles: [], rbac: { rules: [rule("talos-admins")] } } });
  const fp = new (await import("node:crypto")).X509Certificate(srv.tlsCaPem!).fingerprint256;
  const pair = await mintLoopbackCert();
  const port = await allowHttpsCallback(idp);
  await withHome(async (home, env) => {
    await Deno.mkdir(`${home}/certs`);
    await Deno.writeTextFile(`${home}/certs/cb.pem`, pair.cert);
    await Deno.writeTextFile(`${home}/certs/cb-key.pem`, pair.key, { mode: 0o600 });
    const half = { out: "", err: "" };
    const base = ["--provider", idp.issuer, "--client-id", idp.clientId, "--callback-port", String(port)];
    const err = await assertRejects(() =>
      runCommand(
        createSetupCommand({ browser: walker("alice") }),
        context([...base, "--local-server-cert", "x"], env, half),
      )
    );
    assert(err instanceof TalosOidcError && err.code === "ERR_USAGE", String(err));
    assertEquals(err.message, "setup: --local-server-cert needs --local-server-key");
    assertEquals(half.out, ""); // refused before the IdP is even asked

    const browser = walker("alice", pair.cert);
    const sink = { out: "", err: "" };
    const tls = ["--local-server-cert", "~/certs/cb.pem", "--local-server-key", "~/certs/cb-key.pem"];
    const args = [...base, ...tls, "--server", srv.url, "--server-ca-fingerprint", fp, "--profile", "cb"];
    assertEquals(await runCommand(createSetupCommand({ browser }), context(args, env, sink)), 0, sink.err);
    await browser.done();
    assertStringIncludes(sink.err, `redirect_uri=https%3A%2F%2F127.0.0.1%3A${port}%2Fcallback&`);
    const profile = await readProfile("cb", env);
    assertEquals([profile.localServerCert, profile.localServerKey], [
      `${home}/certs/cb.pem`,
      `${home}/certs/cb-key.pem`,
    ]);
    assertEquals(profile.callbackPort, port);
    assertStringIncludes(
      loginCommandFor(profile),
      `--local-server-cert ${home}/certs/cb.pem --local-server-key ${home}/certs/cb-key.pem`,
    );
  });
});

function rule(group: string) {
  return { claim: "groups", value: group, roles: ["os:admin"] };
}

Deno.test("setup without --provider and --client-id names both and their env vars, before any network call", async () => {
  await withHome(async (_home, env) => {
    const sink = { out: "", err: "" };
    const err = await assertRejects(() =>
      runCommand(createSetupCommand({ browser: walker("alice") }), context([], env, sink))
    );
    assert(err instanceof TalosOidcError && err.code === "ERR_USAGE");
    assertEquals(
      err.message,
      "setup: missing --provider (or TALOSCTL_OIDC_PROVIDER), --client-id (or TALOSCTL_OIDC_CLIENT_ID)",
    );
    assertEquals(sink.out, "");
  });
});
