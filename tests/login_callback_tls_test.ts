/** @module `login --local-server-cert/--local-server-key` end to end: the callback over https:// with a self-signed pair. */

import { join } from "node:path";
import { assertEquals, assertStringIncludes } from "./helpers/assert.ts";
import { browserCommand, runCli } from "./helpers/cli.ts";
import { mintLoopbackCert } from "./helpers/loopback_cert.ts";
import { allowHttpsCallback } from "./helpers/https_callback.ts";
import { startLoginWorld } from "./login_e2e_fixture.ts";

const exists = (path: string) => Deno.stat(path).then(() => true, () => false);

Deno.test("login serves the callback over https:// with the given pair (~ expanded) to a browser that trusts it", async () => {
  await using w = await startLoginWorld();
  const pair = await mintLoopbackCert();
  await Deno.mkdir(join(w.home, "certs"));
  await Deno.writeTextFile(join(w.home, "certs", "cb.pem"), pair.cert);
  await Deno.writeTextFile(join(w.home, "certs", "cb-key.pem"), pair.key, { mode: 0o600 });
  const walk = browserCommand("walk", { caFile: join(w.home, "certs", "cb.pem") });
  const port = await allowHttpsCallback(w.idp);
  const tls = ["--local-server-cert", "~/certs/cb.pem", "--local-server-key", "~/certs/cb-key.pem"];
  const r = await runCli(w.args(...tls, "--listen-address", `127.0.0.1:${port}`, "--browser-command", walk), {
    home: w.home,
  });
  assertEquals(r.code, 0, r.stderr);
  assertStringIncludes(r.stderr, `redirect_uri=https%3A%2F%2F127.0.0.1%3A${port}%2Fcallback&`);
  assertStringIncludes(r.stderr, `Talosconfig updated: context "oidc"`);
  assertEquals(await w.callApidAs("oidc"), {
    status: 200,
    body: { subject_cn: "alice@example.com", roles: ["os:admin"] },
  });
});

Deno.test("login refuses half a TLS pair, or a file it cannot read, with exit 2 before opening a browser", async () => {
  await using w = await startLoginWorld();
  const marker = join(w.home, "zero-browser-opened");
  const zero = browserCommand("zero", { marker });
  const half = await runCli(w.args("--local-server-cert", "~/cb.pem", "--browser-command", zero), { home: w.home });
  assertEquals(half.code, 2, half.stderr);
  assertStringIncludes(half.stderr, "error: login: --local-server-cert needs --local-server-key\n");
  assertStringIncludes(half.stderr, "hint: serving the callback over TLS needs both a certificate and its private key");

  const tls = ["--local-server-cert", "~/missing.pem", "--local-server-key", "~/missing-key.pem"];
  const missing = await runCli(w.args(...tls, "--browser-command", zero), { home: w.home });
  assertEquals(missing.code, 2, missing.stderr);
  assertStringIncludes(missing.stderr, `error: the --local-server-cert file "${w.home}/missing.pem" does not exist\n`);
  assertEquals(await exists(marker), false, "a browser was opened");
  assertEquals(await exists(w.talosconfig), false);
});
