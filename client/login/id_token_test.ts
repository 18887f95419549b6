/**
 * @module Tests for the ID token use case as a second caller (kube token) uses it: getIdToken with and without
 * permission to sign in interactively, against a real IdP, with the real token cache and its lock.
 */

import { assert, assertEquals, assertRejects } from "../../tests/helpers/assert.ts";
import { startTestIdp } from "../../tests/helpers/idp.ts";
import { makeHome } from "../../tests/helpers/cli.ts";
import { loginHarness, loginInput } from "../../tests/helpers/login_harness.ts";
import { isTalosOidcError } from "../../shared/errors.ts";
import { fixedClock, systemClock } from "../../shared/clock.ts";
import type { LoginDeps } from "./deps.ts";
import { cacheKeyFor, getIdToken } from "./cached_id_token.ts";
import { lockTokenCache } from "./id_token.ts";
import { createSignInRun } from "./run.ts";

const NO_SERVER = { url: "https://127.0.0.1:9" }; // the ID token use case never calls the exchange server

Deno.test("getIdToken() without permission to sign in fails with ERR_UNAUTHORIZED, opening nothing", async () => {
  await using idp = await startTestIdp();
  await using home = await makeHome();
  const h = loginHarness({ home: home.path });
  const input = loginInput(idp, NO_SERVER, home.path);
  const err = await assertRejects(() => getIdToken(createSignInRun(input, h.deps), { interactive: false }));
  assert(isTalosOidcError(err, "ERR_UNAUTHORIZED"), String(err));
  assertEquals(err.message, `signing in to "${idp.issuer}" needs a browser or the device flow`);
  assertEquals(h.opened, []);
  assertEquals(await h.deps.tokenCache.get(cacheKeyFor(input)), null);
});

Deno.test("getIdToken() signs in once, then refreshes an expired token without a browser where it may not sign in", async () => {
  // ID tokens live 20 s: less than the 30 s skew margin, so a cached one already counts as expired.
  await using idp = await startTestIdp({ idTokenTtl: 20 });
  await using home = await makeHome();
  const h = loginHarness({ home: home.path });
  const input = loginInput(idp, NO_SERVER, home.path);
  const signedIn = await getIdToken(createSignInRun(input, h.deps), { interactive: true });
  await h.walks();
  const before = await h.deps.tokenCache.get(cacheKeyFor(input));
  const refreshed = await getIdToken(createSignInRun(input, h.deps), { interactive: false });
  assertEquals([signedIn.source, refreshed.source], ["login", "refresh"]);
  assertEquals(refreshed.claims.sub, signedIn.claims.sub);
  assertEquals(h.opened.length, 1);
  const after = await h.deps.tokenCache.get(cacheKeyFor(input));
  assertEquals(after?.id_token, refreshed.idToken);
  assert(after?.refresh_token && after.refresh_token !== before?.refresh_token, "the rotated refresh token was stored");
});

Deno.test("two getIdToken() calls at once open one browser: the second waits and takes the cached token", async () => {
  await using idp = await startTestIdp();
  await using home = await makeHome();
  const h = loginHarness({ home: home.path });
  const input = loginInput(idp, NO_SERVER, home.path);
  const [a, b] = await Promise.all([1, 2].map(() => getIdToken(createSignInRun(input, h.deps), { interactive: true })));
  await h.walks();
  assertEquals([a!.source, b!.source].sort(), ["cache", "login"]);
  assertEquals(a!.idToken, b!.idToken);
  assertEquals(h.opened.length, 1);
});

Deno.test("getIdToken() trusting the cache hands out a cached token without a single request to the IdP", async () => {
  await using idp = await startTestIdp();
  await using home = await makeHome();
  const h = loginHarness({ home: home.path });
  const input = loginInput(idp, NO_SERVER, home.path);
  const first = await getIdToken(createSignInRun(input, h.deps), { interactive: true });
  await h.walks();
  const hits = [...idp.hits.values()].reduce((a, b) => a + b, 0);
  const again = await getIdToken(createSignInRun(input, h.deps), { interactive: false, trustCachedIdToken: true });
  assertEquals([again.source, again.idToken, again.claims.sub], ["cache", first.idToken, first.claims.sub]);
  assertEquals([...idp.hits.values()].reduce((a, b) => a + b, 0), hits, "no discovery, no keys, no token request");
  const checked = await getIdToken(createSignInRun(input, h.deps), { interactive: false });
  assertEquals(checked.source, "cache");
  assert([...idp.hits.values()].reduce((a, b) => a + b, 0) > hits, "without trust the cached token is verified");
});

Deno.test("getIdToken() trusting the cache answers while another process holds the lock; an expired token waits for it", async () => {
  await using idp = await startTestIdp();
  await using home = await makeHome();
  const h = loginHarness({ home: home.path });
  const input = loginInput(idp, NO_SERVER, home.path);
  const first = await getIdToken(createSignInRun(input, h.deps), { interactive: true });
  await h.walks();
  // Someone else (a login refreshing this entry) holds the lock. A run that waits for it says so, and is stopped there.
  await using _held = await lockTokenCache(createSignInRun(input, h.deps));
  const stopWhenWaiting = (clock: LoginDeps["clock"]): LoginDeps => {
    const controller = new AbortController();
    const info = (msg: string) => {
      if (msg.includes("is in progress; waiting")) controller.abort(new Error("waited for the lock"));
      h.deps.logger.info(msg);
    };
    return { ...h.deps, clock, signal: controller.signal, logger: { ...h.deps.logger, info } };
  };
  const trusted = { interactive: false, trustCachedIdToken: true };
  const cached = await getIdToken(createSignInRun(input, stopWhenWaiting(systemClock)), trusted);
  assertEquals([cached.source, cached.idToken], ["cache", first.idToken]);
  // An hour later the cached ID token has expired: refreshing it takes the lock, so this run waits for the holder.
  const later = fixedClock(new Date(Date.now() + 3_600_000));
  const err = await assertRejects(() => getIdToken(createSignInRun(input, stopWhenWaiting(later)), trusted));
  assertEquals((err as Error).message, "waited for the lock");
});
