/**
 * @module A plain http:// IdP off loopback is refused before anything is sent (the code, the PKCE verifier and the
 * refresh token would cross the network in clear), unless --insecure-provider says so; loopback stays allowed.
 */

import { assert, assertEquals, assertMatch, assertRejects, assertStringIncludes } from "./helpers/assert.ts";
import { browserCommand, makeHome, runCli } from "./helpers/cli.ts";
import { startTestIdp } from "./helpers/idp.ts";
import { isTalosOidcError } from "../shared/errors.ts";
import { discoverProvider } from "../client/oidc/discovery.ts";

/** This machine's first non-loopback IPv4 address: a host the traffic really leaves the machine for. */
const LAN = Deno.networkInterfaces().find((i) => i.family === "IPv4" && !i.address.startsWith("127."))?.address;

/** A TCP listener on the LAN address that counts the connections it gets (none, when the client refuses first). */
function lanListener() {
  const listener = Deno.listen({ hostname: LAN!, port: 0 });
  let connections = 0;
  (async () => {
    for await (const conn of listener) connections++, conn.close();
  })().catch(() => {});
  return { url: `http://${LAN}:${listener.addr.port}`, connections: () => connections, close: () => listener.close() };
}

Deno.test({
  name:
    "login and setup refuse a plain-http --provider off loopback, exit 2, naming --insecure-provider; no connection",
  ignore: !LAN,
  async fn() {
    await using home = await makeHome();
    const idp = lanListener();
    try {
      const flags = ["--provider", idp.url, "--client-id", "talosctl"];
      for (const args of [["login", ...flags, "--server", "https://127.0.0.1:1"], ["setup", ...flags]]) {
        const r = await runCli(args, { home: home.path });
        assertEquals(r.code, 2, `${args[0]}: ${r.stderr}`);
        assertStringIncludes(
          r.stderr,
          `error: refusing the plain HTTP --provider "${idp.url}": it needs --insecure-provider`,
        );
        assertMatch(
          r.stderr,
          /hint: use https:\/\/; --insecure-provider sends the authorization code, the PKCE verifier/,
        );
      }
      assertEquals(idp.connections(), 0, "nothing was sent to the IdP");
    } finally {
      idp.close();
    }
  },
});

Deno.test({
  name: "login --insecure-provider signs in over plain http off loopback, and says so on stderr",
  ignore: !LAN,
  async fn() {
    await using home = await makeHome();
    await using idp = await startTestIdp({ host: LAN });
    // An exchange server that passes login's pre-flight (/healthz) and then refuses: the sign-in happened first.
    await using server = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen() {} },
      (req) =>
        new URL(req.url).pathname === "/healthz"
          ? new Response("ok")
          : Response.json({ error: "not here", code: "ERR_INTERNAL" }, { status: 503 }),
    );
    const r = await runCli([
      "login",
      ...["--provider", idp.issuer, "--client-id", idp.clientId, "--insecure-provider", "--callback-port", "0"],
      ...[
        "--server",
        `http://127.0.0.1:${server.addr.port}`,
        "--insecure",
        "--browser-command",
        browserCommand("walk"),
      ],
    ], { home: home.path });
    assertStringIncludes(r.stderr, `warn: --insecure-provider: the sign-in goes over plain HTTP to ${idp.issuer}`);
    assertStringIncludes(r.stderr, "the exchange server refused the request (HTTP 503)", "signed in first");
    assertEquals(r.code, 1);
  },
});

Deno.test({
  name: "discoverProvider() takes a plain-http IdP off loopback only with allowPlainHttp (--insecure-provider)",
  ignore: !LAN,
  async fn() {
    await using idp = await startTestIdp({ host: LAN });
    const refused = await assertRejects(() => discoverProvider(idp.issuer));
    assert(isTalosOidcError(refused, "ERR_USAGE"), String(refused));
    const md = await discoverProvider(idp.issuer, { allowPlainHttp: true });
    assertEquals(md.token_endpoint, `${idp.issuer}/token`);
  },
});

Deno.test("discoverProvider() refuses a loopback IdP whose document sends the token endpoint off loopback over http", async () => {
  await using idp = await startTestIdp();
  const real = await (await fetch(`${idp.issuer}/.well-known/openid-configuration`)).json();
  // The document as a network attacker (or a misconfigured proxy) would rewrite it: its own issuer, plain-http token
  // endpoint on another host.
  await using doc = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    (req) =>
      Response.json({ ...real, issuer: new URL(req.url).origin, token_endpoint: "http://idp.example.com/token" }),
  );
  const issuer = `http://127.0.0.1:${doc.addr.port}`;
  const err = await assertRejects(() => discoverProvider(issuer));
  assert(isTalosOidcError(err, "ERR_DISCOVERY"), String(err));
  assertEquals(
    err.message,
    `refusing the plain HTTP provider's token_endpoint "http://idp.example.com/token": it needs --insecure-provider`,
  );
  assertEquals(
    (await discoverProvider(issuer, { allowPlainHttp: true })).token_endpoint,
    "http://idp.example.com/token",
  );
});
