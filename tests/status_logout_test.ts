/** @module status and logout on a temp HOME with a real certificate, the token file, the real CLI and a real IdP. */

import { join } from "node:path";
import { assert, assertEquals, assertMatch, assertStringIncludes } from "./helpers/assert.ts";
import { makeHome, runCli } from "./helpers/cli.ts";
import { startTestIdp } from "./helpers/idp.ts";
import { walkLogin } from "./helpers/browser_walker.ts";
import { seededRandom } from "./helpers/seeded_random.ts";
import { writeContext } from "../client/talosconfig/write.ts";
import { mintTestCredentials } from "./helpers/client_certs.ts";
import { createTokenCache } from "../client/token_cache/token_cache.ts";
import { runLogout } from "../client/commands/logout.ts";
import { discoverProvider } from "../client/oidc/discovery.ts";
import { refreshTokens } from "../client/oidc/refresh.ts";
import { nullLogger } from "../shared/log.ts";
import type { Stdio } from "../shared/cli.ts";
import type { CachedToken } from "../client/types.ts";

const OTHER = `# my clusters
context: prod
contexts:
    prod:
        endpoints:
            - 10.0.0.1
        nodes:
            - 10.0.0.1
        ca: Y2E=
        crt: Y3J0
        key: a2V5
    omni:
        endpoints:
            - https://omni.example.com
        auth:
            siderov1:
                identity: alice@example.com
        cluster: prod
custom-top: {keep: true}
`;

const TOKEN: CachedToken = {
  access_token: "access-SECRET-1",
  refresh_token: "refresh-SECRET-1",
  id_token: "eyJhbGciOiJub25lIn0.eyJleHAiOjE5MjQ5OTIwMDB9.",
  expires_at: "2030-01-01T00:00:00Z",
  issuer: "https://idp.example.com",
  client_id: "talosctl",
};

/** A temp HOME with ~/.talos/config holding OTHER plus an "oidc" context with a real certificate, and a cached token. */
async function seededHome(notAfter = new Date(Date.now() + 2 * 3_600_000)) {
  const home = await makeHome();
  const path = join(home.path, ".talos", "config");
  await Deno.mkdir(join(home.path, ".talos"), { mode: 0o700 });
  await Deno.writeTextFile(path, OTHER, { mode: 0o600 });
  const creds = await mintTestCredentials({ roles: ["os:operator", "os:reader"], commonName: "alice", notAfter });
  await writeContext(path, "oidc", { endpoints: ["10.5.0.2:50000"], nodes: ["10.5.0.3"], ...creds });
  const env = { HOME: home.path, XDG_CONFIG_HOME: join(home.path, ".config") };
  const cache = createTokenCache({ env, logger: nullLogger, keychain: null, os: "linux" });
  await cache.put({ context: "oidc", issuer: TOKEN.issuer, clientId: TOKEN.client_id }, TOKEN);
  return Object.assign(home, { talosconfig: path, cache, notAfter });
}

Deno.test("status prints context, endpoints, nodes, certificate subject, roles, expiry and the cached token", async () => {
  await using h = await seededHome();
  const r = await runCli(["status"], { home: h.path });
  assertEquals(r.code, 0, r.stderr);
  assertMatch(r.stdout, /^Context: +oidc$/m);
  assertStringIncludes(r.stdout, `Talosconfig: ${h.talosconfig}`);
  assertMatch(r.stdout, /^Active: +yes \(current context\)$/m);
  assertMatch(r.stdout, /^Endpoints: +10\.5\.0\.2:50000$/m);
  assertMatch(r.stdout, /^Nodes: +10\.5\.0\.3$/m);
  assertMatch(r.stdout, /^Certificate: O=os:operator, O=os:reader, CN=alice$/m);
  assertMatch(r.stdout, /^Roles: +os:operator, os:reader$/m);
  assertMatch(r.stdout, /^Not after: +\S+Z \(valid, (1h59m\d+s|2h0m0s) left\)$/m);
  assertMatch(r.stdout, /^Store: +file: .*tokens\.json$/m);
  assertMatch(r.stdout, /^Issuer: +https:\/\/idp\.example\.com$/m);
  assertMatch(r.stdout, /^Refresh: +available$/m);
  assert(!r.stdout.includes("SECRET") && !r.stderr.includes("SECRET"), "a token leaked into the output");
});

Deno.test("status --output json has stable fields and says expired for an expired certificate", async () => {
  await using h = await seededHome(new Date(Date.now() - 60_000));
  const r = await runCli(["status", "-o", "json"], { home: h.path });
  assertEquals(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assertEquals(Object.keys(j), [
    "context",
    "talosconfig",
    "context_exists",
    "current",
    "current_context",
    "endpoints",
    "nodes",
    "certificate",
    "token",
    "token_cache",
  ]);
  assertEquals([j.context, j.context_exists, j.current, j.nodes], ["oidc", true, true, ["10.5.0.3"]]);
  assertEquals(j.certificate.roles, ["os:operator", "os:reader"]);
  assertEquals([j.certificate.expired, j.certificate.seconds_left], [true, 0]);
  assertEquals(j.token.refresh_token, true);
  assertEquals(j.token.id_token_expires_at, new Date(1924992000 * 1000).toISOString());
  assertEquals(j.token_cache.backend, "file");
  assert(!r.stdout.includes("SECRET"), "a token leaked into the output");
});

Deno.test("status reports a missing context with exit 0 and a broken talosconfig with exit 1 naming the path", async () => {
  await using h = await seededHome();
  const missing = await runCli(["status", "--context-name", "nope"], { home: h.path });
  assertEquals(missing.code, 0, missing.stderr);
  assertMatch(missing.stdout, /context "nope" not found/);
  assertMatch(missing.stdout, /no cached token/);
  await Deno.writeTextFile(h.talosconfig, "contexts:\n  a: [\n");
  const broken = await runCli(["status"], { home: h.path });
  assertEquals(broken.code, 1);
  assertStringIncludes(broken.stderr, `parsing talosconfig "${h.talosconfig}" at line`);
});

Deno.test("logout removes only its context and token, clears the current context, then has nothing to do", async () => {
  await using h = await seededHome();
  const r = await runCli(["logout"], { home: h.path });
  assertEquals(r.code, 0, r.stderr);
  assertEquals(r.stdout, "");
  assertMatch(r.stderr, /Removed the cached token of "oidc" from .*tokens\.json/);
  assertStringIncludes(r.stderr, `Removed context "oidc" from ${h.talosconfig}`);
  assertStringIncludes(r.stderr, "It was the current context");
  assertEquals(await Deno.readTextFile(h.talosconfig), OTHER.replace("context: prod", 'context: ""'));
  await Deno.stat(h.cache.filePath).then(() => assert(false, "token file kept"), () => {});
  const again = await runCli(["logout"], { home: h.path });
  assertEquals(again.code, 0, again.stderr);
  assertMatch(again.stderr, /Nothing to remove/);
});

Deno.test("logout --revoke revokes the refresh token at the real IdP, after which refreshing fails", async () => {
  await using idp = await startTestIdp();
  await using h = await seededHome();
  const tokens = await realLogin(idp.issuer, idp.clientId);
  assert(tokens.refresh_token, "the IdP issued no refresh token");
  const key = { context: "oidc", issuer: idp.issuer, clientId: idp.clientId };
  await h.cache.put(key, { ...tokens, issuer: idp.issuer, client_id: idp.clientId });
  const meta = await discoverProvider(idp.issuer);
  const before = await refreshTokens(meta, { clientId: idp.clientId }, tokens.refresh_token, ["openid"]);
  assert(before.ok, "refresh should work before logout");
  const rotated = before.ok ? before.tokens.refresh_token! : "";
  await h.cache.put(key, { ...tokens, refresh_token: rotated, issuer: idp.issuer, client_id: idp.clientId });

  const err: string[] = [];
  const stdio: Stdio = { stdout: () => {}, stderr: (t) => void err.push(t), isTerminal: false };
  const result = await runLogout(
    { contextName: "oidc", talosconfigPath: h.talosconfig, revoke: true },
    { stdio, logger: nullLogger, tokenCache: h.cache },
  );
  assertEquals(result.revoked, ["refresh_token", "access_token"]);
  assertEquals([result.tokenRemovedFrom, result.contextRemoved], [["file"], true]);
  assertMatch(err.join(""), new RegExp(`Revoked the refresh token and access token at ${idp.issuer}`));
  const after = await refreshTokens(meta, { clientId: idp.clientId }, rotated, ["openid"]);
  assertEquals(after.ok ? "refreshed" : after.error.error, "invalid_grant");
});

/** Authorization Code + PKCE against the real IdP with the redirect-following walker. */
async function realLogin(
  issuer: string,
  clientId: string,
): Promise<Required<Pick<CachedToken, "refresh_token">> & CachedToken> {
  const codes: string[] = [];
  await using server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
    codes.push(new URL(req.url).searchParams.get("code") ?? "");
    return new Response("ok");
  });
  const redirect = `http://127.0.0.1:${server.addr.port}/callback`;
  const verifier = btoa(String.fromCharCode(...seededRandom(0x9cce).bytes(32))).replace(/[+/=]/g, "x");
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier)));
  const challenge = btoa(String.fromCharCode(...digest)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  const meta = await discoverProvider(issuer);
  const auth = new URL(meta.authorization_endpoint);
  for (
    const [k, v] of Object.entries({
      client_id: clientId,
      response_type: "code",
      redirect_uri: redirect,
      scope: "openid offline_access",
      prompt: "consent",
      state: "s",
      code_challenge: challenge,
      code_challenge_method: "S256",
    })
  ) auth.searchParams.set(k, v);
  await walkLogin(auth.href, "alice", "alice");
  const res = await fetch(meta.token_endpoint, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "authorization_code",
      code: codes[0]!,
      redirect_uri: redirect,
      client_id: clientId,
      code_verifier: verifier,
    }),
  });
  const body = await res.json();
  assertEquals(res.status, 200, JSON.stringify(body));
  return {
    ...body,
    issuer,
    client_id: clientId,
    expires_at: new Date(Date.now() + body.expires_in * 1000).toISOString(),
  };
}

Deno.test("status --check asks the server's /healthz and exits 1 only when it is unhealthy", async () => {
  await using h = await seededHome();
  let healthy = true;
  const paths: string[] = [];
  await using server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
    paths.push(new URL(req.url).pathname);
    return new Response(healthy ? "ok" : "down", { status: healthy ? 200 : 503 });
  });
  const url = `http://127.0.0.1:${server.addr.port}`;
  const ok = await runCli(["status", "--check"], { home: h.path, env: { TALOSCTL_OIDC_SERVER: url } });
  assertEquals(ok.code, 0, ok.stderr);
  assertMatch(ok.stdout, /^Health: +ok \(HTTP 200\)$/m);
  healthy = false;
  const bad = await runCli(["status", "--check", "--server", url, "-o", "json"], { home: h.path });
  assertEquals(bad.code, 1);
  assertEquals(JSON.parse(bad.stdout).server, { url, healthy: false, status: 503, error: "HTTP 503" });
  await runCli(["status"], { home: h.path, env: { TALOSCTL_OIDC_SERVER: url } });
  assertEquals(paths, ["/healthz", "/healthz"]); // plain status never called the server
});

Deno.test("status --talosconfig X shows X's current context (as doctor does); TALOSCTL_OIDC_TALOSCONFIG names X too", async () => {
  await using home = await makeHome();
  const other = join(home.path, "other-config");
  const creds = await mintTestCredentials({
    roles: ["os:reader"],
    commonName: "bob",
    notAfter: new Date(Date.now() + 1e6),
  });
  await writeContext(other, "prod", { endpoints: ["10.0.0.1"], ...creds }); // current context: prod, no "oidc"
  const flag = await runCli(["status", "--talosconfig", other, "-o", "json"], { home: home.path });
  assertEquals(flag.code, 0, flag.stderr);
  const r = JSON.parse(flag.stdout);
  assertEquals([r.context, r.context_exists, r.current, r.endpoints], ["prod", true, true, ["10.0.0.1"]]);
  const env = await runCli(["status"], { home: home.path, env: { TALOSCTL_OIDC_TALOSCONFIG: other } });
  assertMatch(env.stdout, /^Context: +prod$/m);
  const named = await runCli(["status", "--talosconfig", other, "--context-name", "oidc"], { home: home.path });
  assertMatch(named.stdout, /context "oidc" not found/);
});
