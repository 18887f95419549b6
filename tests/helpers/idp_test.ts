/** @module The test IdP really runs: discovery, JWKS, an auth-code + PKCE round trip through its login page. */

import { assert, assertEquals } from "./assert.ts";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import * as jose from "jose";
import { startTestIdp } from "./idp.ts";
import { walkDeviceLogin, walkLogin } from "./browser_walker.ts";
import { seededRandom } from "./seeded_random.ts";

Deno.test("startTestIdp() serves discovery and a JWKS holding RS256, ES256 and EdDSA keys", async () => {
  await using idp = await startTestIdp();
  const disc = await (await fetch(`${idp.issuer}/.well-known/openid-configuration`)).json();
  assertEquals(disc.issuer, idp.issuer);
  const jwks = await (await fetch(disc.jwks_uri)).json();
  assertEquals(jwks.keys.length, 3);
  const token = await idp.mint({ sub: "bob" }, { alg: "EdDSA" });
  const { payload } = await jose.jwtVerify(token, jose.createRemoteJWKSet(new URL(disc.jwks_uri)), {
    issuer: idp.issuer,
    audience: idp.clientId,
  });
  assertEquals(payload.sub, "bob");
});

Deno.test("walkLogin() completes an authorization code + PKCE flow and the IdP issues id and refresh tokens", async () => {
  await using idp = await startTestIdp();
  const disc = await (await fetch(`${idp.issuer}/.well-known/openid-configuration`)).json();
  let code = "";
  const cb = createServer((req, res) => {
    code = new URL(req.url!, "http://x").searchParams.get("code") ?? "";
    res.end("done");
  });
  await new Promise<void>((r) => cb.listen(0, "127.0.0.1", r));
  const redirect = `http://127.0.0.1:${(cb.address() as AddressInfo).port}/callback`;
  const verifier = jose.base64url.encode(seededRandom(0x9cce).bytes(32));
  const challenge = jose.base64url.encode(
    new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier))),
  );
  const auth = new URL(disc.authorization_endpoint);
  auth.search = new URLSearchParams({
    response_type: "code",
    client_id: idp.clientId,
    redirect_uri: redirect,
    scope: "openid email profile groups offline_access",
    state: "s1",
    nonce: "n1",
    code_challenge: challenge,
    code_challenge_method: "S256",
    prompt: "consent",
  }).toString();
  const walked = await walkLogin(auth.href, "alice");
  assertEquals(walked.body, "done");
  assert(code.length > 10);
  const tok = await (await fetch(disc.token_endpoint, {
    method: "POST",
    body: new URLSearchParams({
      grant_type: "authorization_code",
      code,
      redirect_uri: redirect,
      client_id: idp.clientId,
      code_verifier: verifier,
    }),
  })).json();
  assert(tok.refresh_token, JSON.stringify(tok));
  const claims = jose.decodeJwt(tok.id_token);
  assertEquals(claims.sub, "alice");
  assertEquals(claims.nonce, "n1");
  assertEquals(claims.groups, ["talos-admins", "devs"]);
  cb.closeAllConnections();
  await new Promise((r) => cb.close(r));
});

Deno.test("walkDeviceLogin() approves a device authorization so the polling client gets an ID token", async () => {
  await using idp = await startTestIdp();
  const disc = await (await fetch(`${idp.issuer}/.well-known/openid-configuration`)).json();
  const dev = await (await fetch(disc.device_authorization_endpoint, {
    method: "POST",
    body: new URLSearchParams({ client_id: idp.clientId, scope: "openid email groups" }),
  })).json();
  const walked = await walkDeviceLogin(dev.verification_uri_complete, "bob");
  assert(walked.status < 400, walked.body);
  const tok = await (await fetch(disc.token_endpoint, {
    method: "POST",
    body: new URLSearchParams({
      grant_type: "urn:ietf:params:oauth:grant-type:device_code",
      device_code: dev.device_code,
      client_id: idp.clientId,
    }),
  })).json();
  assert(tok.id_token, JSON.stringify(tok));
  assertEquals(jose.decodeJwt(tok.id_token).sub, "bob");
});
