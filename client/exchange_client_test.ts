/** @module Tests for the /exchange client: CSR mode against the real server, fallbacks, errors, URL checks. */

import {
  assert,
  assertEquals,
  assertMatch,
  assertRejects,
  assertStringIncludes,
  assertThrows,
} from "../tests/helpers/assert.ts";
import { startTestIdp } from "../tests/helpers/idp.ts";
import { startTestServer } from "../tests/helpers/server.ts";
import { isTalosOidcError } from "../shared/errors.ts";
import { nullLogger } from "../shared/log.ts";
import { certMatchesKey, generateClientKey } from "./csr.ts";
import { checkServerUrl, exchangeForCertificate } from "./exchange_client.ts";
import { mintTestCredentials } from "../tests/helpers/client_certs.ts";

const signal = new AbortController().signal;

Deno.test("exchangeForCertificate() sends a CSR and keeps the key made here (real server, --server-ca)", async () => {
  await using idp = await startTestIdp();
  await using server = await startTestServer({ idp });
  const key = await generateClientKey();
  const o = { server: new URL(server.url), serverCaPem: server.tlsCaPem, logger: nullLogger };
  const r = await exchangeForCertificate(o, await idp.mint(), key, signal);
  assertEquals(r.keySource, "client");
  assertEquals(r.key, key.keyPem);
  assert(certMatchesKey(r.cert, key.spki));
  assertEquals(r.endpoints, ["127.0.0.1"]);
  assert(r.ttlSeconds > 200);
});

Deno.test("exchangeForCertificate() verifies TLS: an untrusted server fails with a hint about --server-ca", async () => {
  await using idp = await startTestIdp();
  await using server = await startTestServer({ idp });
  const err = await assertRejects(() =>
    exchangeForCertificate({ server: new URL(server.url), logger: nullLogger }, "x", undefined, signal)
  );
  assert(isTalosOidcError(err, "ERR_EXCHANGE"));
  assertMatch(err.hint ?? "", /--server-ca.*--insecure does not skip/);
});

Deno.test("exchangeForCertificate() reports the server's refusal with its status, code and words", async () => {
  await using idp = await startTestIdp();
  await using server = await startTestServer({ idp });
  const o = { server: new URL(server.url), serverCaPem: server.tlsCaPem, logger: nullLogger };
  const bad = await assertRejects(async () =>
    exchangeForCertificate(o, await idp.mint({ aud: "x" }), undefined, signal)
  );
  assert(isTalosOidcError(bad, "ERR_EXCHANGE"));
  assertEquals(bad.fields?.status, 401);
  assertEquals(bad.fields?.serverCode, "ERR_INVALID_TOKEN");
  assertMatch(bad.message, /HTTP 401\): invalid token/);
});

Deno.test("exchangeForCertificate() names the server's X-Request-Id in a refusal, the key to its audit line", async () => {
  await using idp = await startTestIdp();
  await using server = await startTestServer({ idp });
  const o = { server: new URL(server.url), serverCaPem: server.tlsCaPem, logger: nullLogger };
  const bad = await assertRejects(async () =>
    exchangeForCertificate(o, await idp.mint({ aud: "x" }), undefined, signal)
  );
  assert(isTalosOidcError(bad, "ERR_EXCHANGE"));
  const audited = server.audit.findLast((e) => e.type === "auth_failure")?.["request.id"];
  assertEquals(typeof audited, "string");
  assertEquals(bad.fields?.requestId, audited);
  assertStringIncludes(bad.message, `(request id ${audited})`);
});

Deno.test("exchangeForCertificate() keeps the server's code and picks the hint by it, not by the status", async () => {
  await using idp = await startTestIdp();
  await using server = await startTestServer({ idp, config: { ip_allowlist: ["10.9.9.9"] } });
  const o = { server: new URL(server.url), serverCaPem: server.tlsCaPem, logger: nullLogger };
  const err = await assertRejects(async () => exchangeForCertificate(o, await idp.mint(), undefined, signal));
  assert(isTalosOidcError(err, "ERR_EXCHANGE"));
  assertEquals([err.fields?.status, err.fields?.serverCode], [403, "ERR_FORBIDDEN"]);
  assertMatch(err.hint ?? "", /does not take requests from this address: .*\(ip_allowlist\)$/);
  // The same status with another code: no roles, whose way out is a role, not an address.
  await using noRoles = olderServer(() =>
    Response.json({ error: "no roles assigned", code: "ERR_NO_ROLES" }, { status: 403 })
  );
  const refused = await assertRejects(() =>
    exchangeForCertificate({ server: noRoles.url, logger: nullLogger }, "t", undefined, signal)
  );
  assert(isTalosOidcError(refused, "ERR_EXCHANGE"));
  assertEquals(refused.fields?.serverCode, "ERR_NO_ROLES");
  assertMatch(refused.hint ?? "", /grant your user or groups a Talos role/);
});

Deno.test("exchangeForCertificate() reads the code-less refusals of the original tool's server by their status", async () => {
  for (
    const [status, error, code] of [[401, "invalid token", "ERR_INVALID_TOKEN"], [
      403,
      "no roles assigned",
      "ERR_NO_ROLES",
    ]] as const
  ) {
    await using original = olderServer(() => Response.json({ error }, { status }));
    const err = await assertRejects(() =>
      exchangeForCertificate({ server: original.url, logger: nullLogger }, "t", undefined, signal)
    );
    assert(isTalosOidcError(err, "ERR_EXCHANGE"));
    assertEquals([err.fields?.status, err.fields?.serverCode], [status, code]);
  }
  await using odd = olderServer(() => Response.json({ error: "teapot" }, { status: 418 }));
  const err = await assertRejects(() =>
    exchangeForCertificate({ server: odd.url, logger: nullLogger }, "t", undefined, signal)
  );
  assert(isTalosOidcError(err, "ERR_EXCHANGE"));
  assertEquals([err.fields?.serverCode, err.hint], [undefined, undefined]);
});

/** A server that behaves like an older exchange server, for the fallback rules. */
function olderServer(answer: (body: Record<string, unknown>) => Response) {
  const seen: Record<string, unknown>[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    const body = await req.json();
    seen.push(body);
    return answer(body);
  });
  return { seen, url: new URL(`http://127.0.0.1:${server.addr.port}`), [Symbol.asyncDispose]: () => server.shutdown() };
}

Deno.test("exchangeForCertificate() uses the server's key when the server ignores the CSR", async () => {
  const creds = await mintTestCredentials();
  await using old = olderServer(() =>
    Response.json({ ...creds, cert: creds.crt, endpoints: ["10.0.0.1"], ttl_seconds: 300 })
  );
  const r = await exchangeForCertificate(
    { server: old.url, logger: nullLogger },
    "t",
    await generateClientKey(),
    signal,
  );
  assertEquals(r.keySource, "server");
  assertEquals(r.key, creds.key);
  assert(typeof old.seen[0]!.csr === "string");
});

Deno.test("exchangeForCertificate() retries without a CSR when the server says it does not take CSRs", async () => {
  const creds = await mintTestCredentials();
  await using old = olderServer((b) =>
    b.csr
      ? Response.json({ error: "csr is not supported by this server" }, { status: 400 })
      : Response.json({ ...creds, cert: creds.crt, endpoints: ["10.0.0.1"], ttl_seconds: 300 })
  );
  const r = await exchangeForCertificate(
    { server: old.url, logger: nullLogger },
    "t",
    await generateClientKey(),
    signal,
  );
  assertEquals(r.keySource, "server");
  assertEquals(old.seen.map((b) => "csr" in b), [true, false]);
});

Deno.test("exchangeForCertificate() never hands over the key when the server rejects the CSR as invalid", async () => {
  await using s = olderServer(() =>
    Response.json({ error: "checking the CSR: bad", code: "ERR_INVALID_CSR" }, { status: 400 })
  );
  const key = await generateClientKey();
  const err = await assertRejects(() =>
    exchangeForCertificate({ server: s.url, logger: nullLogger }, "t", key, signal)
  );
  assert(isTalosOidcError(err, "ERR_EXCHANGE"));
  assertEquals(s.seen.length, 1);
});

Deno.test("exchangeForCertificate() refuses a certificate for another key", async () => {
  const creds = await mintTestCredentials();
  await using s = olderServer(() => Response.json({ ca: creds.ca, cert: creds.crt, endpoints: ["e"], ttl_seconds: 1 }));
  const key = await generateClientKey();
  const err = await assertRejects(() =>
    exchangeForCertificate({ server: s.url, logger: nullLogger }, "t", key, signal)
  );
  assert(isTalosOidcError(err, "ERR_EXCHANGE"));
  assertMatch(err.message, /certificate for another key/);
});

Deno.test("exchangeForCertificate() stops reading an endless answer at 1 MiB and says the server sent too much", async () => {
  const chunk = new Uint8Array(64 * 1024).fill(0x20);
  await using s = olderServer(() =>
    new Response(new ReadableStream({ pull: (c) => c.enqueue(chunk) }), { status: 500 })
  );
  const err = await assertRejects(() =>
    exchangeForCertificate({ server: s.url, logger: nullLogger, timeoutMs: 5_000 }, "t", undefined, signal)
  );
  assert(isTalosOidcError(err, "ERR_EXCHANGE"), String(err));
  assertMatch(err.message, /answered with too much data/);
});

Deno.test("checkServerUrl() refuses http:// without --insecure and anything that is not a URL", () => {
  assertEquals(checkServerUrl("https://x.example", false).href, "https://x.example/");
  assertEquals(checkServerUrl("http://127.0.0.1:8080", true).protocol, "http:");
  assertThrows(
    () => checkServerUrl("http://x.example", false),
    (e) => isTalosOidcError(e, "ERR_USAGE") && /--insecure/.test(e.message),
  );
  assertThrows(() => checkServerUrl("x.example", false), (e) => isTalosOidcError(e, "ERR_USAGE"));
  assertThrows(() => checkServerUrl("ftp://x.example", true), (e) => isTalosOidcError(e, "ERR_USAGE"));
});
