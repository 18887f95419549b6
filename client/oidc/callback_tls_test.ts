/** @module Tests for the callback's TLS pair and the https:// loopback callback it serves. */

import { join } from "node:path";
import { assertEquals, assertMatch, assertRejects, assertThrows } from "../../tests/helpers/assert.ts";
import { isTalosOidcError } from "../../shared/errors.ts";
import { nullLogger } from "../../shared/log.ts";
import { startCallbackServer } from "./callback_server.ts";
import { loadCallbackTls } from "./callback_tls.ts";
import { mintLoopbackCert } from "../../tests/helpers/loopback_cert.ts";

const never = new AbortController().signal;

async function tempHome(): Promise<{ path: string } & AsyncDisposable> {
  const path = await Deno.makeTempDir();
  return { path, [Symbol.asyncDispose]: () => Deno.remove(path, { recursive: true }) };
}

Deno.test("the callback server serves https:// with the given pair, verified by a client that trusts only it", async () => {
  const pair = await mintLoopbackCert();
  const server = startCallbackServer({ listenAddresses: ["127.0.0.1:0"], state: "s", tls: pair, logger: nullLogger });
  using client = Deno.createHttpClient({ caCerts: [pair.cert] });
  try {
    assertMatch(server.redirectUri, /^https:\/\/127\.0\.0\.1:\d+\/callback$/);
    // A client with the usual roots refuses the self-signed certificate: TLS is real, and verified.
    await assertRejects(() => fetch(`${server.redirectUri}?code=c&state=s`));
    const plain = server.redirectUri.replace("https:", "http:");
    await assertRejects(async () => await (await fetch(`${plain}?code=c&state=s`)).text());
    const answered = fetch(`${server.redirectUri}?code=the-code&state=s`, { client });
    assertEquals(await server.wait(never), { code: "the-code" });
    await server.close({ ok: true, message: "done" });
    const res = await answered;
    assertEquals(res.status, 200);
    assertMatch(await res.text(), /Authentication Successful/);
  } finally {
    await server.close();
  }
});

Deno.test("the callback server reports a key that does not fit the certificate as ERR_CONFIG, not a taken port", async () => {
  const [a, b] = await Promise.all([mintLoopbackCert(), mintLoopbackCert()]);
  assertThrows(
    () =>
      startCallbackServer({
        listenAddresses: ["127.0.0.1:0"],
        state: "s",
        tls: { cert: a.cert, key: b.key },
        logger: nullLogger,
      }),
    (e) => isTalosOidcError(e, "ERR_CONFIG") && /--local-server-cert/.test(e.hint ?? ""),
  );
});

Deno.test("loadCallbackTls() expands ~ and returns the pair", async () => {
  await using home = await tempHome();
  const pair = await mintLoopbackCert();
  await Deno.writeTextFile(join(home.path, "cb.pem"), pair.cert);
  await Deno.writeTextFile(join(home.path, "cb-key.pem"), pair.key, { mode: 0o600 });
  const got = await loadCallbackTls({ cert: "~/cb.pem", key: "~/cb-key.pem" }, { HOME: home.path });
  assertEquals(got, pair);
});

Deno.test("loadCallbackTls() names the flag and path of a missing file, a non-PEM file, a foreign key, an expired cert", async () => {
  await using home = await tempHome();
  const env = { HOME: home.path };
  const [pair, other] = await Promise.all([mintLoopbackCert(), mintLoopbackCert()]);
  const file = (name: string, text: string) => Deno.writeTextFile(join(home.path, name), text).then(() => `~/${name}`);
  const cert = await file("c.pem", pair.cert), key = await file("k.pem", pair.key);
  const bad = (paths: { cert: string; key: string }, code: string, re: RegExp, now?: Date) =>
    assertRejects(
      () => loadCallbackTls(paths, env, now),
      (e) => isTalosOidcError(e) && e.code === code && re.test(e.message),
    );
  await bad(
    { cert: "~/nope.pem", key },
    "ERR_USAGE",
    new RegExp(`--local-server-cert file "${home.path}/nope.pem" does not exist`),
  );
  await bad({ cert, key: "~/nope.pem" }, "ERR_USAGE", /--local-server-key file ".*nope\.pem" does not exist/);
  await bad({ cert: key, key }, "ERR_CONFIG", /--local-server-cert file ".*k\.pem" holds no PEM certificate/);
  await bad({ cert, key: cert }, "ERR_CONFIG", /--local-server-key file ".*c\.pem" holds no unencrypted PEM key/);
  await bad(
    { cert, key: await file("o.pem", other.key) },
    "ERR_CONFIG",
    /"\S+o\.pem" is not the key of the --local-server-cert/,
  );
  await bad({ cert, key }, "ERR_CONFIG", /is not valid now/, new Date(Date.now() + 2 * 86_400_000));
});
