/** @module Tests for the loopback callback server: state first, stray requests ignored, single use, clean shutdown. */

import { assert, assertEquals, assertMatch, assertThrows } from "../../tests/helpers/assert.ts";
import { isTalosOidcError } from "../../shared/errors.ts";
import { type Logger, nullLogger } from "../../shared/log.ts";
import { parseListenAddress, startCallbackServer } from "./callback_server.ts";

const never = new AbortController().signal;

function recordingLogger(): Logger & { warnings: string[] } {
  const warnings: string[] = [];
  return { ...nullLogger, warnings, warn: (m) => void warnings.push(m) };
}

Deno.test("the callback server ignores stray requests and a wrong state, then takes the right one once", async () => {
  const logger = recordingLogger();
  const server = startCallbackServer({ listenAddresses: ["127.0.0.1:0"], state: "good-state", logger });
  const base = server.redirectUri;
  assertMatch(base, /^http:\/\/127\.0\.0\.1:\d+\/callback$/);
  const favicon = await fetch(new URL("/favicon.ico", base));
  assertEquals(favicon.status, 404);
  await favicon.body?.cancel();
  const wrong = await fetch(`${base}?code=stolen&state=bad-state`);
  assertEquals(wrong.status, 400);
  assertEquals(wrong.headers.get("cache-control"), "no-store");
  assertMatch(await wrong.text(), /does not belong to the login in progress/);
  assertEquals(logger.warnings.length, 1);

  const answered = fetch(`${base}?code=the-code&state=good-state`);
  assertEquals(await server.wait(never), { code: "the-code" });
  const again = await fetch(`${base}?code=other&state=good-state`);
  assertEquals(again.status, 409);
  await again.body?.cancel();
  await server.close({ ok: true, message: "done" });
  const res = await answered;
  assertEquals(res.status, 200);
  assertEquals(res.headers.get("cache-control"), "no-store");
  assertEquals(res.headers.get("referrer-policy"), "no-referrer");
  assertMatch(await res.text(), /Authentication Successful[\s\S]*done/);
});

Deno.test("the callback server hands over the IdP's error and answers with an error page", async () => {
  const server = startCallbackServer({ listenAddresses: ["127.0.0.1:0"], state: "s", logger: nullLogger });
  const answered = fetch(`${server.redirectUri}?error=access_denied&error_description=nope%20%3Cb%3E&state=s`);
  assertEquals(await server.wait(never), { error: "access_denied", error_description: "nope <b>" });
  await server.close({ ok: false, message: "The IdP answered: access_denied: nope <b>" });
  const res = await answered;
  assertEquals(res.status, 400);
  const html = await res.text();
  assertMatch(html, /Authentication Failed/);
  assertMatch(html, /nope &#60;b&#62;/);
});

Deno.test("the callback server refuses a callback from another issuer (RFC 9207)", async () => {
  const server = startCallbackServer({
    listenAddresses: ["127.0.0.1:0"],
    state: "s",
    issuer: "https://idp.example",
    logger: nullLogger,
  });
  const answered = fetch(`${server.redirectUri}?code=c&state=s&iss=https%3A%2F%2Fevil.example`);
  const got = await server.wait(never);
  assert("error" in got && /evil\.example/.test(got.error_description ?? ""));
  await server.close();
  await (await answered).body?.cancel();
});

Deno.test("the callback server routes the path of --oidc-redirect-url and listens on every address", async () => {
  const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (probe.addr as Deno.NetAddr).port;
  probe.close();
  const server = startCallbackServer({
    listenAddresses: [`127.0.0.1:${port}`, "127.0.0.1:0"],
    redirectUrl: `http://localhost:${port}/oidc/cb`,
    state: "s",
    logger: nullLogger,
  });
  assertEquals(server.redirectUri, `http://localhost:${port}/oidc/cb`);
  const answered = fetch(`http://127.0.0.1:${port}/oidc/cb?code=c&state=s`);
  assertEquals(await server.wait(never), { code: "c" });
  await server.close({ ok: true, message: "ok" });
  await (await answered).body?.cancel();
});

Deno.test("the callback server reports a taken port as ERR_IO and a bad address as ERR_USAGE", () => {
  const taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    const addr = `127.0.0.1:${(taken.addr as Deno.NetAddr).port}`;
    assertThrows(
      () => startCallbackServer({ listenAddresses: ["127.0.0.1:0", addr], state: "s", logger: nullLogger }),
      (e) => isTalosOidcError(e, "ERR_IO") && /--callback-port/.test(e.hint ?? ""),
    );
  } finally {
    taken.close();
  }
  assertThrows(() => parseListenAddress("localhost"), (e) => isTalosOidcError(e, "ERR_USAGE"));
  assertEquals(parseListenAddress("[::1]:8900"), { hostname: "::1", port: 8900 });
  assertThrows(
    () => startCallbackServer({ listenAddresses: [], state: "s", logger: nullLogger }),
    (e) => isTalosOidcError(e, "ERR_USAGE"),
  );
});
