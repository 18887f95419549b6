/**
 * @module An IdP whose issuer ends in "/" (authentik's do): discovery, exchange, login and setup all work, and
 * tokens are held to the issuer exactly as the discovery document states it.
 */

import { createSetupCommand } from "../client/commands/setup.ts";
import type { BrowserOpener } from "../client/browser.ts";
import { runCommand } from "../shared/cli.ts";
import { assertEquals, assertStringIncludes } from "./helpers/assert.ts";
import { walkLogin } from "./helpers/browser_walker.ts";
import { browserCommand, runCli } from "./helpers/cli.ts";
import { startTestIdp } from "./helpers/idp.ts";
import { createTestApp } from "./helpers/server.ts";
import { startLoginWorld } from "./login_e2e_fixture.ts";

const AUTHENTIK_PATH = "/application/o/talosctl/";

Deno.test("exchange works when issuer_url is the IdP's issuer with its trailing slash", async () => {
  await using idp = await startTestIdp({ issuerPath: AUTHENTIK_PATH });
  await using app = await createTestApp({ idp, config: { issuer_url: idp.issuer } });
  assertEquals(app.config.issuerUrl, idp.issuer);
  const res = await app.exchange({ id_token: await idp.mint() });
  assertEquals(res.status, 200, JSON.stringify(await res.clone().json()));
});

Deno.test("issuer_url without the slash finds the IdP, and tokens must carry the issuer the IdP states", async () => {
  await using idp = await startTestIdp({ issuerPath: AUTHENTIK_PATH });
  const bare = idp.issuer.slice(0, -1);
  await using app = await createTestApp({ idp, config: { issuer_url: bare } });
  assertEquals((await app.exchange({ id_token: await idp.mint() })).status, 200);
  // Signed by the IdP's own key, but not the issuer its discovery document names.
  const spelled = await app.exchange({ id_token: await idp.mint({ iss: bare }) });
  assertEquals(spelled.status, 401);
  assertEquals(app.audit.filter((e) => e.type === "auth_failure").map((e) => e.reason), ["issuer_mismatch"]);
});

Deno.test("issuer_url with a slash the IdP does not have: tokens must carry the IdP's slash-less issuer", async () => {
  await using idp = await startTestIdp();
  await using app = await createTestApp({ idp, config: { issuer_url: `${idp.issuer}/` } });
  assertEquals((await app.exchange({ id_token: await idp.mint() })).status, 200);
  assertEquals((await app.exchange({ id_token: await idp.mint({ iss: `${idp.issuer}/` }) })).status, 401);
});

Deno.test("a discovery document naming another issuer is still refused, whatever the slashes", async () => {
  await using idp = await startTestIdp({ issuerPath: AUTHENTIK_PATH });
  // Two slashes, or a prefix of the IdP's issuer whose well-known URL the IdP's document answers for.
  for (const issuer_url of [`${idp.issuer}/`, idp.issuer.replace("/talosctl/", "/")]) {
    await using app = await createTestApp({ idp, config: { issuer_url } });
    assertEquals(await app.deps.verifier.warmUp(), false, issuer_url);
    const res = await app.exchange({ id_token: await idp.mint() });
    assertEquals(res.status === 401 || res.status === 503, true, `${issuer_url}: ${res.status}`);
  }
});

Deno.test("login against an IdP whose issuer ends in a slash, given with or without it, writes a working context", async () => {
  await using w = await startLoginWorld({ issuerPath: AUTHENTIK_PATH });
  for (const [context, provider] of [["slash", w.idp.issuer], ["bare", w.idp.issuer.slice(0, -1)]] as const) {
    const args = w.args("--browser-command", browserCommand("walk"), "--context-name", context).map((a) =>
      a === w.idp.issuer ? provider : a
    );
    const r = await runCli(args, { home: w.home });
    assertEquals(r.code, 0, r.stderr);
    assertEquals(await w.callApidAs(context), {
      status: 200,
      body: { subject_cn: "alice@example.com", roles: ["os:admin"] },
    });
  }
});

Deno.test("setup against an IdP whose issuer ends in a slash suggests issuer_url exactly as the IdP states it", async () => {
  await using idp = await startTestIdp({ issuerPath: AUTHENTIK_PATH });
  const home = await Deno.makeTempDir();
  try {
    const walks: Promise<unknown>[] = [];
    const browser: BrowserOpener = {
      open(url) {
        const walk = walkLogin(url, "alice", "alice");
        walks.push(walk);
        return Promise.resolve({ command: "walker", wait: () => walk.then(() => true) });
      },
    };
    let out = "", err = "";
    const code = await runCommand(createSetupCommand({ browser }), {
      args: ["--provider", idp.issuer.slice(0, -1), "--client-id", idp.clientId, "--callback-port", "0"],
      env: { HOME: home, XDG_CONFIG_HOME: `${home}/.config`, TALOSCTL_OIDC_KEYCHAIN: "off" },
      stdio: { stdout: (t) => void (out += t), stderr: (t) => void (err += t), isTerminal: false },
      signal: new AbortController().signal,
    });
    await Promise.all(walks);
    assertEquals(code, 0, err);
    assertStringIncludes(out, `issuer_url: ${idp.issuer}\n`);
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});
