/** @module POST /exchange through app.request(): real IdP tokens, real Talos CA, every status the route can answer. */

import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import { X509Certificate } from "node:crypto";
import { assert, assertEquals, assertMatch, assertNotMatch } from "../../tests/helpers/assert.ts";
import { generateSigningKey, startTestIdp, type TestIdp } from "../../tests/helpers/idp.ts";
import { createTestApp, type TestServerOptions } from "../../tests/helpers/server.ts";
import { fixedClock } from "../../shared/clock.ts";
import { createDevCa } from "../../tests/helpers/dev_ca.ts";
import { USERS_RBAC } from "../../tests/helpers/idp_users.ts";

const RBAC = { roles: [], rbac: USERS_RBAC };

async function withApp(
  fn: (t: Awaited<ReturnType<typeof createTestApp>>, idp: TestIdp) => Promise<void>,
  options: Omit<TestServerOptions, "idp"> = {},
): Promise<void> {
  await using idp = await startTestIdp();
  await using t = await createTestApp({ idp, config: { insecure: true, ...options.config }, ...options });
  await fn(t, idp);
}

function subjectOf(pem: string): string {
  return new X509Certificate(pem).subject;
}

Deno.test("POST /exchange returns a certificate, key, CA and endpoints for a valid token, and audits it", async () => {
  await withApp(async (t, idp) => {
    const res = await t.exchange({ id_token: await idp.mint({ email: "alice@example.com", email_verified: true }) });
    assertEquals(res.status, 200);
    assertEquals(res.headers.get("cache-control"), "no-store");
    const requestId = res.headers.get("x-request-id") ?? "";
    assertMatch(requestId, /^[0-9a-f-]{36}$/);
    const body = await res.json();
    assertEquals(Object.keys(body).sort(), ["ca", "cert", "endpoints", "key", "ttl_seconds"]);
    assertEquals(body.ca, t.loadedCa.certPem);
    assertEquals(body.endpoints, ["127.0.0.1"]);
    assert(body.ttl_seconds > 290 && body.ttl_seconds <= 300, `ttl_seconds ${body.ttl_seconds}`);
    assertEquals(subjectOf(body.cert), "O=os:admin\nCN=alice@example.com");
    assert(new X509Certificate(body.cert).checkIssued(new X509Certificate(body.ca)));
    assertMatch(body.key, /^-----BEGIN ED25519 PRIVATE KEY-----/);
    assertEquals(t.audit.map((e) => e.type), ["auth_success", "cert_issued"]);
    const issued = t.audit[1]!;
    assertEquals(issued["request.id"], requestId);
    assertEquals(issued.subject, "alice");
    assertEquals(issued.client_ip, "127.0.0.1");
    assertEquals(issued.roles, ["os:admin"]);
    assertEquals(issued.cert_ttl, "5m0s");
    assertEquals(
      issued.cert_fingerprint,
      new X509Certificate(body.cert).fingerprint256.replaceAll(":", "").toLowerCase(),
    );
  });
});

Deno.test("POST /exchange signs the public key of a CSR and returns no private key", async () => {
  await withApp(async (t, idp) => {
    x509.cryptoProvider.set(crypto);
    const keys = await crypto.subtle.generateKey({ name: "Ed25519" }, true, ["sign", "verify"]) as CryptoKeyPair;
    const csr = await x509.Pkcs10CertificateRequestGenerator.create({
      name: "CN=ignored, O=os:impersonator",
      keys,
      signingAlgorithm: { name: "Ed25519" },
    });
    const res = await t.exchange({
      id_token: await idp.mint({ email: "alice@example.com", email_verified: true }),
      csr: csr.toString("pem"),
    });
    assertEquals(res.status, 200);
    const body = await res.json();
    assertEquals("key" in body, false);
    assertEquals(subjectOf(body.cert), "O=os:admin\nCN=alice@example.com");
    const spki = new Uint8Array(await crypto.subtle.exportKey("spki", keys.publicKey));
    const certKey = new X509Certificate(body.cert).publicKey.export({ type: "spki", format: "der" });
    assertEquals(new Uint8Array(certKey), spki);
  });
});

Deno.test("POST /exchange answers 400 for a CSR whose signature does not verify", async () => {
  await withApp(async (t, idp) => {
    const res = await t.exchange({
      id_token: await idp.mint(),
      csr: "-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n",
    });
    assertEquals(res.status, 400);
    assertEquals((await res.json()).code, "ERR_INVALID_CSR");
    assertEquals(t.audit.map((e) => e.type), ["auth_success", "cert_error"]);
  });
});

Deno.test("POST /exchange answers 400 with the original messages for malformed bodies", async () => {
  await withApp(async (t) => {
    const cases: [string, string][] = [
      ["{not json", "invalid JSON"],
      ["[1,2]", "invalid JSON"],
      ["{}", "id_token is required"],
      ['{"id_token": ""}', "id_token is required"],
      ['{"id_token": null}', "id_token is required"],
      ['{"id_token": 42}', "invalid JSON"],
      ['{"id_token": "x", "csr": 7}', "invalid JSON"],
      ["", "invalid JSON"],
    ];
    for (const [body, error] of cases) {
      const res = await t.exchange(body);
      assertEquals([res.status, await res.json()], [400, { error, code: "ERR_INVALID_REQUEST" }], body);
    }
    assertEquals(t.audit, []);
  });
});

Deno.test("POST /exchange answers 413 for a declared or streamed body over 64 KiB", async () => {
  await withApp(async (t) => {
    const big = JSON.stringify({ id_token: "x".repeat(70_000) });
    const declared = await t.exchange(big);
    assertEquals(declared.status, 413);
    assertEquals(await declared.json(), { error: "request body too large or unreadable", code: "ERR_BODY_TOO_LARGE" });
    const chunk = new TextEncoder().encode("x".repeat(16 * 1024));
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(ctrl) {
        if (sent++ < 8) ctrl.enqueue(chunk);
        else ctrl.close();
      },
    });
    const streamed = await t.exchange("", { body: stream, duplex: "half" } as RequestInit);
    assertEquals(streamed.status, 413);
    assert(sent <= 6, `stopped reading early (read ${sent} chunks)`);
  });
});

Deno.test("POST /exchange answers 401 invalid token and keeps the reason for the audit log only", async () => {
  await withApp(async (t, idp) => {
    const stranger = generateSigningKey("RS256").privateKey;
    const tokens = {
      bad_signature: await idp.mint({}, { key: stranger }),
      expired: await idp.mint({ iat: 1_000_000, exp: 1_000_300 }),
      audience_mismatch: await idp.mint({ aud: "someone-else" }),
      issuer_mismatch: await idp.mint({ iss: "https://evil.example.com" }),
      malformed: "not-a-jwt",
    };
    for (const [reason, token] of Object.entries(tokens)) {
      const res = await t.exchange({ id_token: token });
      assertEquals(
        [res.status, await res.json()],
        [401, { error: "invalid token", code: "ERR_INVALID_TOKEN" }],
        reason,
      );
      const event = t.audit.at(-1)!;
      assertEquals([event.type, event.reason], ["auth_failure", reason]);
      assertEquals(event["request.id"], res.headers.get("x-request-id"));
    }
    const all = [...t.auditText, ...t.logs].join("\n");
    for (const token of Object.values(tokens)) if (token.length > 20) assertNotMatch(all, new RegExp(token.slice(-30)));
  });
});

Deno.test("POST /exchange maps groups to roles with RBAC rules and answers 403 when none match", async () => {
  await withApp(async (t, idp) => {
    const bob = await t.exchange({
      id_token: await idp.mint({
        sub: "bob",
        email: "bob@example.com",
        email_verified: true,
        groups: ["talos-readers"],
      }),
    });
    assertEquals(bob.status, 200);
    assertEquals(subjectOf((await bob.json()).cert), "O=os:reader\nCN=bob@example.com");
    const both = await t.exchange({ id_token: await idp.mint({ groups: ["talos-readers", "talos-admins"] }) });
    assertEquals(subjectOf((await both.json()).cert), "O=os:admin\nO=os:reader\nCN=alice");
    const mallory = await t.exchange({ id_token: await idp.mint({ sub: "mallory", groups: ["guests"] }) });
    assertEquals(mallory.status, 403);
    // The 403 names the claim the rules read (so the client can say which claim to bring), never a rule's value.
    assertEquals(await mallory.json(), {
      error: "no roles assigned - user does not match any RBAC rules",
      code: "ERR_NO_ROLES",
      claims: ["groups"],
    });
    assertEquals(t.audit.at(-1)?.type, "rbac_denied");
    assertEquals(t.audit.at(-1)?.subject, "mallory");
  }, { config: RBAC });
});

Deno.test("POST /exchange uses sub as CN when the email is unverified and returns configured nodes", async () => {
  await withApp(async (t, idp) => {
    const res = await t.exchange({ id_token: await idp.mint({ email: "x@example.com", email_verified: false }) });
    const body = await res.json();
    assertEquals(subjectOf(body.cert), "O=os:operator\nCN=alice");
    assertEquals(body.nodes, ["10.0.0.5", "10.0.0.6"]);
  }, { config: { roles: ["os:operator"], nodes: ["10.0.0.5", "10.0.0.6"] } });
});

Deno.test("POST /exchange reports ttl_seconds as the real lifetime when the CA expires first", async () => {
  const ca = await createDevCa("ecdsa", {
    notBefore: new Date(Date.now() - 3_600_000),
    notAfter: new Date(Date.now() + 120_000),
  });
  await withApp(async (t, idp) => {
    const body = await (await t.exchange({ id_token: await idp.mint() })).json();
    assert(body.ttl_seconds <= 120 && body.ttl_seconds > 100, `ttl_seconds ${body.ttl_seconds}`);
    assertEquals(
      Math.abs(new X509Certificate(body.cert).validToDate.getTime() - Date.now() - body.ttl_seconds * 1000) < 2000,
      true,
    );
  }, { ca });
});

Deno.test("POST /exchange answers 500 with a request id when signing fails, details only in the log", async () => {
  const ca = await createDevCa("ed25519", {
    notBefore: new Date(Date.now() - 3_600_000),
    notAfter: new Date(Date.now() + 600_000),
  });
  const clock = fixedClock(new Date(Date.now() + 3_600_000));
  await withApp(async (t, idp) => {
    const iat = Math.floor(clock.now().getTime() / 1000);
    const res = await t.exchange({ id_token: await idp.mint({ iat, exp: iat + 300 }) });
    const requestId = res.headers.get("x-request-id") ?? "missing";
    assertEquals(res.status, 500);
    assertEquals(await res.json(), {
      error: "failed to generate certificate",
      code: "ERR_CERT_ISSUE",
      request_id: requestId,
    });
    assertEquals(t.audit.map((e) => e.type), ["auth_success", "cert_error"]);
    assert(t.logs.some((l) => l.includes(requestId) && l.includes("issuing a certificate failed")));
  }, { ca, clock });
});

Deno.test("POST /exchange answers 503 when the issuer's keys cannot be fetched", async () => {
  const idp = await startTestIdp();
  await using t = await createTestApp({ idp, config: { insecure: true } });
  const token = await idp.mint();
  await idp.close(); // the verifier has fetched nothing yet: the issuer is now unreachable
  const res = await t.exchange({ id_token: token });
  assertEquals(res.status, 503);
  assertEquals(res.headers.get("retry-after"), "30");
  assertEquals(await res.json(), {
    error: "identity provider unavailable",
    code: "ERR_DISCOVERY",
    request_id: res.headers.get("x-request-id"),
  });
  assertEquals(t.audit.at(-1)?.reason, "jwks_unavailable");
});
