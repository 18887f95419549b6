/** @module Tests for OIDC discovery, including the issuer check. */

import { assertEquals, assertMatch, assertRejects } from "../../tests/helpers/assert.ts";
import { startTestIdp } from "../../tests/helpers/idp.ts";
import { isTalosOidcError } from "../../shared/errors.ts";
import { discoverProvider } from "./discovery.ts";

Deno.test("discoverProvider() reads the real IdP's endpoints, with or without a trailing slash", async () => {
  await using idp = await startTestIdp();
  const md = await discoverProvider(idp.issuer + "/");
  assertEquals(md.issuer, idp.issuer);
  assertMatch(md.token_endpoint, /^http:\/\/127\.0\.0\.1:\d+\/token$/);
  assertMatch(md.device_authorization_endpoint ?? "", /device/);
});

Deno.test("discoverProvider() finds an issuer that ends in a slash, given either way, and returns it as stated", async () => {
  await using idp = await startTestIdp({ issuerPath: "/application/o/talosctl/" });
  for (const given of [idp.issuer, idp.issuer.slice(0, -1)]) {
    const md = await discoverProvider(given);
    assertEquals(md.issuer, idp.issuer);
    assertEquals(md.token_endpoint, `${idp.issuer}token`);
  }
  const err = await assertRejects(() => discoverProvider(`${idp.issuer}/`));
  assertEquals(isTalosOidcError(err, "ERR_DISCOVERY"), true);
});

Deno.test("discoverProvider() refuses a document that names another issuer", async () => {
  await using idp = await startTestIdp();
  // A proxy in front of the real IdP, reachable under another URL: its document names the real issuer.
  await using proxy = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
    const u = new URL(req.url);
    return fetch(idp.issuer + u.pathname);
  });
  const err = await assertRejects(() => discoverProvider(`http://127.0.0.1:${proxy.addr.port}`));
  assertEquals(isTalosOidcError(err, "ERR_DISCOVERY"), true);
  assertMatch((err as Error).message, /names issuer/);
});

Deno.test("discoverProvider() reports an unreachable issuer as ERR_DISCOVERY", async () => {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  const err = await assertRejects(() => discoverProvider(`http://127.0.0.1:${port}`));
  assertEquals(isTalosOidcError(err, "ERR_DISCOVERY"), true);
});
