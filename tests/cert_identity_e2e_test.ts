/**
 * @module The identity a certificate, the audit log and the admin API name, through a real exchange: verified email
 * or sub, no control or bidi characters, CN at most 64 characters.
 */

import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import { assertEquals } from "./helpers/assert.ts";
import { startTestIdp, type TestIdp } from "./helpers/idp.ts";
import { asExchangeResponse, createTestApp, type TestApp } from "./helpers/server.ts";

const ADMIN = "cert-identity-admin-token-0123456789";

/** The Subject CN of the certificate issued for a token with `claims`. */
async function cnOf(app: TestApp, claims: Record<string, unknown>, idp: TestIdp): Promise<string> {
  const res = await app.exchange({ id_token: await idp.mint(claims) });
  assertEquals(res.status, 200);
  const cert = new x509.X509Certificate(asExchangeResponse(await res.json()).cert);
  return cert.subjectName.getField("CN")[0] ?? "";
}

Deno.test("exchange names the certificate by the email only when email_verified is true, else by sub", async () => {
  await using idp = await startTestIdp();
  await using app = await createTestApp({ idp, config: { admin_token: ADMIN } });
  const email = "alice@example.com";
  assertEquals(await cnOf(app, { email, email_verified: true }, idp), email);
  assertEquals(await cnOf(app, { email, email_verified: "false" }, idp), "alice");
  assertEquals(await cnOf(app, { email, email_verified: "true" }, idp), "alice");
  assertEquals(await cnOf(app, { email }, idp), "alice");
  const issued = app.audit.filter((e) => e.type === "cert_issued");
  assertEquals(issued.map((e) => e.email ?? "-"), [email, "-", "-", "-"]);
  const res = await app.app.request("/admin/certs", { headers: { authorization: `Bearer ${ADMIN}` } }, {
    remoteAddr: { transport: "tcp", hostname: "127.0.0.1", port: 50000 },
  });
  const emails = (await res.json() as { email: string }[]).map((c) => c.email).sort();
  assertEquals(emails, ["", "", "", email]);
});

Deno.test("exchange strips control and bidi characters from the CN and the audit log, and caps the CN at 64", async () => {
  await using idp = await startTestIdp();
  await using app = await createTestApp({ idp });
  assertEquals(await cnOf(app, { sub: "admin\u202Etxt.exe" }, idp), "admintxt.exe");
  assertEquals(
    await cnOf(app, { sub: "bob\nCN=root", email: "x\u2067@example.com", email_verified: true }, idp),
    "x@example.com",
  );
  const longEmail = `${"a".repeat(88)}@example.com`;
  assertEquals(await cnOf(app, { sub: "carol", email: longEmail, email_verified: true }, idp), "carol");
  assertEquals(await cnOf(app, { sub: "d".repeat(100) }, idp), "d".repeat(64));
  const subjects = app.audit.filter((e) => e.type === "cert_issued").map((e) => e.subject);
  assertEquals(subjects, ["admintxt.exe", "bobCN=root", "carol", "d".repeat(100)]);
  const text = app.auditText.join("");
  assertEquals([text.includes("\u202E"), text.includes("\u2067"), text.includes("bob\\nCN")], [false, false, false]);
});
