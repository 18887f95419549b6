/**
 * @module Tests of the way out of "403 no roles assigned" with a real IdP and exchange server: the
 * token cache keyed by scopes, a refused ID token never sent again silently, `--force` through the IdP's own login
 * page while its session is someone else's, and the hint naming the claim the server's rules read.
 */

import { assert, assertEquals, assertMatch, assertRejects, assertStringIncludes } from "../../tests/helpers/assert.ts";
import { startTestIdp } from "../../tests/helpers/idp.ts";
import { startTestServer } from "../../tests/helpers/server.ts";
import { makeHome } from "../../tests/helpers/cli.ts";
import { browserSession } from "../../tests/helpers/browser_walker.ts";
import { loginHarness, loginInput } from "../../tests/helpers/login_harness.ts";
import { isTalosOidcError } from "../../shared/errors.ts";
import { USERS_RBAC } from "../../tests/helpers/idp_users.ts";
import { join } from "node:path";
import { cacheKeyFor, getIdToken } from "./cached_id_token.ts";
import { createSignInRun } from "./run.ts";
import { type LoginPass, runLogin } from "./login.ts";

async function world() {
  const idp = await startTestIdp();
  const server = await startTestServer({ idp, config: { rbac: USERS_RBAC } });
  const home = await makeHome();
  const ca = join(home.path, "ca.pem");
  await Deno.writeTextFile(ca, server.tlsCaPem!);
  const input = (...flags: string[]) =>
    loginInput(idp, server, home.path, "--server-ca", ca, "--talosconfig", join(home.path, "talosconfig"), ...flags);
  return {
    idp,
    server,
    home: home.path,
    input,
    async [Symbol.asyncDispose]() {
      await server.close();
      await idp.close();
      await home[Symbol.asyncDispose]();
    },
  };
}

function renewed(p: LoginPass | undefined): Extract<LoginPass, { outcome: "renewed" }> {
  assert(p?.outcome === "renewed", `expected a renewal, got ${p?.outcome}`);
  return p;
}

function firstPass(r: { attempts: ({ pass: LoginPass } | { error: unknown })[] }): LoginPass | undefined {
  const a = r.attempts[0];
  return a && "pass" in a ? a.pass : undefined;
}

Deno.test("after a 403 for a missing groups claim, asking for the groups scope signs in again instead of reusing the token", async () => {
  await using w = await world();
  const h = loginHarness({ home: w.home });
  const without = w.input("--scopes", "openid,email,offline_access");
  const err = await assertRejects(() => runLogin(without, h.deps));
  assert(isTalosOidcError(err, "ERR_EXCHANGE"), String(err));
  assertMatch(err.message, /HTTP 403\): no roles assigned .*\(request id [0-9a-f-]{36}\)$/);
  assertStringIncludes(err.hint!, `the server's rules read the claim "groups", and your ID token (alice@example.com)`);
  assertStringIncludes(err.hint!, `has no "groups"`);
  assertStringIncludes(err.hint!, "--force --scopes openid,email,offline_access,groups");
  assertStringIncludes(err.hint!, "sign in as another account: talosctl-oidc login ... --force");

  const withGroups = w.input("--scopes", "openid,email,offline_access,groups");
  const pass = renewed(firstPass(await runLogin(withGroups, h.deps)));
  assertEquals([pass.tokenSource, pass.cert.roles], ["login", ["os:admin"]]);
  assertEquals(h.opened.length, 2);
  assertStringIncludes(
    h.stderr.join(""),
    `The cached tokens were requested without the scope "groups" (with "email offline_access openid"); signing in again.`,
  );
  const cached = await h.deps.tokenCache.get(cacheKeyFor(withGroups));
  assertEquals(cached?.scopes, ["email", "groups", "offline_access", "openid"]);
  // A caller asking for fewer scopes (kube token without groups) takes that token: its claims are a superset.
  const fewer = await getIdToken(createSignInRun(w.input("--scopes", "openid,email"), h.deps), { interactive: false });
  assertEquals(fewer.source, "cache");
});

Deno.test("after a 403 the refused ID token is not sent again without saying so, and --force signs in as another account", async () => {
  await using w = await world();
  const browser = browserSession(); // keeps the IdP's session cookie, as a real browser does
  let user = "mallory";
  const h = loginHarness({ home: w.home, browser: (url) => browser.walk(url, user) });
  const input = w.input("--scopes", "openid,email,offline_access,groups");
  const first = await assertRejects(() => runLogin(input, h.deps));
  assert(isTalosOidcError(first, "ERR_EXCHANGE"));
  assertStringIncludes(first.hint!, `your ID token (mallory@example.com) has "groups": ["guests"], which no rule`);
  assertStringIncludes(first.hint!, "sign in as another account: talosctl-oidc login ... --force");
  assertEquals((await h.deps.tokenCache.get(cacheKeyFor(input)))?.id_token, undefined);

  // Same command again: no silent "Using the cached ID token"; the refresh token brings a new one (same claims).
  h.stderr.length = 0;
  const second = await assertRejects(() => runLogin(input, h.deps));
  assert(isTalosOidcError(second, "ERR_EXCHANGE"));
  const said = h.stderr.join("");
  assertMatch(said, /granted the ID token cached at \S+ no roles, so it is not sent again; getting a new one/);
  assert(!said.includes("Using the cached ID token"), said);
  assertEquals([h.opened.length, browser.loginPages], [1, 1]);

  // --force: the IdP is asked to show its sign-in again although its session is mallory's; alice signs in there.
  user = "alice";
  const forced = renewed(
    firstPass(await runLogin(w.input("--scopes", "openid,email,offline_access,groups", "--force"), h.deps)),
  );
  assertEquals(new URL(h.opened[1]!).searchParams.get("prompt"), "login consent");
  assertEquals([forced.user, forced.tokenSource, forced.cert.roles], ["alice@example.com", "login", ["os:admin"]]);
  assertEquals(browser.loginPages, 2);
  // --force again while that certificate is fresh: a new sign-in all the same (no "nothing to do").
  const again = renewed(
    firstPass(await runLogin(w.input("--scopes", "openid,email,offline_access,groups", "--force"), h.deps)),
  );
  assertEquals(again.tokenSource, "login");
});

Deno.test("login checks the exchange server and the talosconfig before opening a browser", async () => {
  await using w = await world();
  const h = loginHarness({ home: w.home });
  const down = loginInput(w.idp, { url: "https://127.0.0.1:9" }, w.home, "--talosconfig", join(w.home, "tc"));
  const unreachable = await assertRejects(() => runLogin(down, h.deps));
  assert(isTalosOidcError(unreachable, "ERR_EXCHANGE"), String(unreachable));
  assertStringIncludes(unreachable.message, `connecting to the exchange server "https://127.0.0.1:9" failed`);
  // Its TLS CA not given: the system's roots do not trust the self-signed server.
  const untrusted = await assertRejects(() =>
    runLogin(loginInput(w.idp, w.server, w.home, "--talosconfig", join(w.home, "tc")), h.deps)
  );
  assert(isTalosOidcError(untrusted, "ERR_EXCHANGE"), String(untrusted));
  assertStringIncludes(untrusted.hint!, "pass its CA with --server-ca");
  const broken = join(w.home, "broken");
  await Deno.writeTextFile(broken, "context: [oops\n");
  const bad = await assertRejects(() => runLogin(loginInput(w.idp, w.server, w.home, "--talosconfig", broken), h.deps));
  assert(isTalosOidcError(bad, "ERR_TALOSCONFIG"), String(bad));
  assertEquals(h.opened, []);
  assertEquals(await h.deps.tokenCache.get(cacheKeyFor(down)), null);
});
