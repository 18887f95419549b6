/**
 * @module --server-ca trusts exactly that CA: an impostor on the server's address, with a certificate from a CA the
 * process trusts otherwise (DENO_CERT, or the system store through SSL_CERT_FILE), never receives the ID token.
 */

import https from "node:https";
import { join } from "node:path";
import { assert, assertEquals, assertMatch } from "./helpers/assert.ts";
import { browserCommand, runCli } from "./helpers/cli.ts";
import { generateTlsCa, issueServerCert } from "../server/tls/self_signed.ts";
import { startLoginWorld } from "./login_e2e_fixture.ts";

/** An HTTPS server for 127.0.0.1 whose certificate comes from its own CA, counting the requests it gets. */
async function startImpostor() {
  const ca = await generateTlsCa(new Date());
  const leaf = await issueServerCert(ca, ["127.0.0.1"], new Date());
  const seen: string[] = [];
  const server = https.createServer({ cert: leaf.certPem, key: leaf.keyPem }, (req, res) => {
    seen.push(`${req.method} ${req.url}`);
    req.resume();
    res.writeHead(500).end();
  });
  server.on("tlsClientError", () => {});
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const port = (server.address() as { port: number }).port;
  return {
    caPem: ca.certPem,
    url: `https://127.0.0.1:${port}`,
    seen,
    [Symbol.asyncDispose]: () => new Promise<void>((r) => server.close(() => r())),
  };
}

Deno.test("login --server-ca refuses an impostor whose CA the process trusts through DENO_CERT or the system store", async () => {
  await using w = await startLoginWorld();
  await using impostor = await startImpostor();
  const pinned = join(w.home, "server-ca.pem"), other = join(w.home, "other-ca.pem");
  await Deno.writeTextFile(pinned, w.server.tlsCaPem!);
  await Deno.writeTextFile(other, impostor.caPem);
  const login = (server: string, env: Record<string, string>) =>
    runCli([
      "login",
      ...["--provider", w.idp.issuer, "--client-id", w.idp.clientId, "--server", server, "--server-ca", pinned],
      ...["--callback-port", "0", "--scopes", "openid,email,groups", "--browser-command", browserCommand("walk")],
    ], { home: w.home, env });

  const envs: Record<string, string>[] = [{ DENO_CERT: other }, { DENO_TLS_CA_STORE: "system", SSL_CERT_FILE: other }];
  for (const env of envs) {
    const r = await login(impostor.url, env);
    assertEquals(r.code, 1, r.stderr);
    assertMatch(r.stderr, /connecting to the exchange server "https:\/\/127\.0\.0\.1:\d+" failed/);
    assertMatch(r.stderr, /hint: the server's TLS certificate is not trusted: pass its CA with --server-ca/);
    assertEquals(impostor.seen, [], `the impostor got a request with ${Object.keys(env).join(" + ")}`);
  }
  assertEquals(await Deno.stat(w.talosconfig).then(() => true, () => false), false, "nothing written");

  const real = await login(w.server.url, { DENO_CERT: other });
  assertEquals(real.code, 0, real.stderr);
  assert((await Deno.readTextFile(w.talosconfig)).includes("oidc"), "the pinned server still works");
});

Deno.test("status --check --server-ca never asks an impostor the process trusts otherwise, and passes the real server", async () => {
  await using w = await startLoginWorld();
  await using impostor = await startImpostor();
  const pinned = join(w.home, "server-ca.pem"), other = join(w.home, "other-ca.pem");
  await Deno.writeTextFile(pinned, w.server.tlsCaPem!);
  await Deno.writeTextFile(other, impostor.caPem);
  const check = (server: string) =>
    runCli(["status", "--check", "--server", server, "--server-ca", pinned, "-o", "json"], {
      home: w.home,
      env: { DENO_CERT: other },
    });

  const fake = await check(impostor.url);
  assertEquals(fake.code, 1, fake.stderr);
  assertEquals(JSON.parse(fake.stdout).server.healthy, false);
  assertEquals(impostor.seen, [], "the impostor got the health request although --server-ca names another CA");

  const real = await check(w.server.url);
  assertEquals(real.code, 0, real.stderr);
  assertEquals(JSON.parse(real.stdout).server, { url: w.server.url, healthy: true, status: 200, error: null });
});
