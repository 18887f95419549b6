/** @module Tests for reading a context's client certificate. */

import { assertEquals, assertThrows } from "../../tests/helpers/assert.ts";
import { isTalosOidcError } from "../../shared/errors.ts";
import { certValidFor, parseClientCert, readContextCert } from "./cert.ts";
import { mergeContext } from "./merge.ts";
import { parseTalosconfig } from "./read.ts";
import { mintTestCredentials } from "../../tests/helpers/client_certs.ts";

Deno.test("readContextCert() returns subject, CN, roles from Subject O and validity", async () => {
  const notAfter = new Date(Math.floor(Date.now() / 1000) * 1000 + 3_600_000);
  const creds = await mintTestCredentials({ roles: ["os:reader", " os:operator ", ""], commonName: "alice", notAfter });
  const doc = parseTalosconfig(mergeContext("", "oidc", { endpoints: ["10.0.0.1"], ...creds }));
  const info = readContextCert(doc, "oidc")!;
  assertEquals(info.roles, ["os:reader", "os:operator"]);
  assertEquals(info.commonName, "alice");
  assertEquals(info.subject.endsWith("CN=alice"), true);
  assertEquals(info.notAfter.toISOString(), notAfter.toISOString());
  assertEquals(certValidFor(info, new Date()), true);
  assertEquals(certValidFor(info, new Date(), 2 * 3_600_000), false);
  assertEquals(readContextCert(doc, "missing"), null);
});

Deno.test("readContextCert() reports a crt that is not a certificate as ERR_TALOSCONFIG", () => {
  const doc = parseTalosconfig("contexts:\n  x:\n    endpoints: [a]\n    crt: bm90IGEgY2VydA==\n");
  assertThrows(() => readContextCert(doc, "x"), (e) => isTalosOidcError(e, "ERR_TALOSCONFIG"));
  assertThrows(
    () => parseClientCert("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----"),
    (e) => isTalosOidcError(e, "ERR_TALOSCONFIG"),
  );
});
