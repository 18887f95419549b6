/** @module Tests for the browser flow against the real IdP, driven by the redirect-following walker. */

import { assert, assertEquals, assertMatch, assertRejects, assertStringIncludes } from "../../tests/helpers/assert.ts";
import { startTestIdp } from "../../tests/helpers/idp.ts";
import { walkLogin, type WalkResult } from "../../tests/helpers/browser_walker.ts";
import { denyLogin } from "../../tests/helpers/cli.ts";
import { systemClock } from "../../shared/clock.ts";
import { isTalosOidcError } from "../../shared/errors.ts";
import { nullLogger } from "../../shared/log.ts";
import { buildAuthorizationUrl, PAGE_CAP_OUTCOME, reauthPrompt, runAuthCodeFlow } from "./auth_code.ts";
import { discoverProvider } from "./discovery.ts";
import { createClientIdTokenVerifier } from "./id_token.ts";

async function setup() {
  const idp = await startTestIdp();
  const metadata = await discoverProvider(idp.issuer);
  const verifier = await createClientIdTokenVerifier({
    issuer: metadata.issuer,
    clientId: idp.clientId,
    jwksUri: metadata.jwks_uri,
    clock: systemClock,
  });
  const base = {
    metadata,
    client: { clientId: idp.clientId },
    scopes: ["openid", "email", "offline_access"],
    listenAddresses: ["127.0.0.1:0"],
    logger: nullLogger,
    signal: new AbortController().signal,
    verifyIdToken: (t: string, nonce: string) => verifier.verify(t, { nonce }),
  };
  return { idp, base };
}

Deno.test("runAuthCodeFlow() signs in through the real IdP and answers the browser only after verifying", async () => {
  const { idp, base } = await setup();
  await using _ = idp;
  let walk: Promise<WalkResult> | undefined;
  let authUrl = "";
  const tokens = await runAuthCodeFlow({
    ...base,
    presentUrl(url) {
      authUrl = url;
      walk = walkLogin(url, "alice");
    },
  });
  const page = await walk!;
  assert(tokens.id_token && tokens.refresh_token);
  assertMatch(page.finalUrl, /^http:\/\/127\.0\.0\.1:\d+\/callback\?/);
  assertEquals(page.status, 200);
  assertMatch(page.body, /Authentication Successful/);
  const u = new URL(authUrl);
  assertEquals(u.searchParams.get("code_challenge_method"), "S256");
  assertMatch(u.searchParams.get("nonce") ?? "", /^[\w-]{22}$/);
  assertMatch(u.searchParams.get("state") ?? "", /^[\w-]{22}$/);
});

Deno.test("runAuthCodeFlow() shows the IdP's access_denied as is, in the terminal and the browser", async () => {
  const { idp, base } = await setup();
  await using _ = idp;
  let deny: Promise<number> | undefined;
  const err = await assertRejects(() =>
    runAuthCodeFlow({ ...base, presentUrl: (url) => void (deny = denyLogin(idp, url)) })
  );
  assert(isTalosOidcError(err, "ERR_OIDC"));
  assertEquals(err.message, "the IdP refused the login: access_denied: The user denied the request");
  assertEquals(await deny!, 400);
});

Deno.test("runAuthCodeFlow() stops waiting when its signal aborts and still shuts the listener down", async () => {
  const { idp, base } = await setup();
  await using _ = idp;
  const ctl = new AbortController();
  let port = 0;
  const err = await assertRejects(() =>
    runAuthCodeFlow({
      ...base,
      signal: ctl.signal,
      presentUrl(url) {
        port = Number(new URL(new URL(url).searchParams.get("redirect_uri")!).port);
        ctl.abort(new Error("cancelled"));
      },
    })
  );
  assertEquals((err as Error).message, "cancelled");
  const l = Deno.listen({ hostname: "127.0.0.1", port }); // the port is free again
  l.close();
});

Deno.test("buildAuthorizationUrl() asks for consent and offline access only with offline_access", async () => {
  await using idp = await startTestIdp();
  const md = await discoverProvider(idp.issuer);
  const p = { clientId: "c", redirectUri: "http://127.0.0.1:1/callback", state: "s", nonce: "n", challenge: "x" };
  const online = new URL(buildAuthorizationUrl(md, { ...p, scopes: ["openid"] }));
  assertEquals(online.searchParams.get("prompt"), null);
  assertEquals(online.searchParams.get("scope"), "openid");
  const offline = new URL(buildAuthorizationUrl(md, { ...p, scopes: ["openid", "offline_access"] }));
  assertEquals(offline.searchParams.get("prompt"), "consent");
});

Deno.test("reauthPrompt() picks select_account or login by the IdP's prompt_values_supported, none it lacks", async () => {
  await using idp = await startTestIdp();
  const md = await discoverProvider(idp.issuer);
  // oidc-provider does not advertise its prompt values (as Google, Dex, Entra ID): OIDC Core's "login" then.
  assertEquals(md.prompt_values_supported, undefined);
  assertEquals(reauthPrompt(md), "login");
  const p = { clientId: "c", redirectUri: "http://127.0.0.1:1/callback", state: "s", nonce: "n", challenge: "x" };
  const forced = new URL(buildAuthorizationUrl(md, { ...p, scopes: ["openid"], reauthenticate: true }));
  assertEquals(forced.searchParams.get("prompt"), "login");
  const both = new URL(buildAuthorizationUrl(md, { ...p, scopes: ["openid", "offline_access"], reauthenticate: true }));
  assertEquals(both.searchParams.get("prompt"), "login consent");
  assertEquals(reauthPrompt({ ...md, prompt_values_supported: ["none", "login", "select_account"] }), "select_account");
  assertEquals(reauthPrompt({ ...md, prompt_values_supported: ["none", "consent"] }), undefined);
  // Google documents only none, consent and select_account, and does not advertise them.
  assertEquals(reauthPrompt({ ...md, issuer: "https://accounts.google.com" }), "select_account");
});

Deno.test("runAuthCodeFlow() with holdPageMs keeps the tab until finish(), or answers it at the cap", async () => {
  const { idp, base } = await setup();
  await using _ = idp;
  let walk: Promise<WalkResult> | undefined;
  const held = await runAuthCodeFlow({
    ...base,
    holdPageMs: 60_000,
    presentUrl: (url) => void (walk = walkLogin(url)),
  });
  let answered = false;
  walk!.then(() => (answered = true));
  await new Promise((r) => setTimeout(r, 20));
  assertEquals(answered, false, "the tab waits for the caller");
  await held.page!.finish({
    ok: false,
    heading: "Signed in, but no Talos certificate",
    message: "HTTP 403",
    hint: "a\nb",
  });
  const refused = await walk!;
  assertEquals(refused.status, 400);
  assertMatch(refused.body, /<h1>Signed in, but no Talos certificate<\/h1>[\s\S]*<p id="hint">a\nb<\/p>/);

  const capped = await runAuthCodeFlow({ ...base, holdPageMs: 10, presentUrl: (url) => void (walk = walkLogin(url)) });
  const page = await walk!; // nobody calls finish: the cap answers
  assertStringIncludes(page.body, PAGE_CAP_OUTCOME.message);
  await capped.page!.finish({ ok: true, message: "too late" }); // a no-op once answered
});
