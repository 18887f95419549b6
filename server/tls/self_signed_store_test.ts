/** @module Tests for the persisted self-signed TLS material: reuse, leaf renewal from the same CA, modes, errors. */

import { join } from "node:path";
import { assert, assertEquals, assertNotEquals, assertRejects } from "../../tests/helpers/assert.ts";
import { isTalosOidcError } from "../../shared/errors.ts";
import { nullLogger } from "../../shared/log.ts";
import { certFacts, issuedBy, LEAF_VALIDITY_MS, serverSans } from "./self_signed.ts";
import { loadOrCreateSelfSigned, renewLeafIfDue } from "./self_signed_store.ts";
import { tempDir } from "../../tests/helpers/temp_dir.ts";

const t0 = new Date();
const sans = serverSans("0.0.0.0", []);
const mode = async (p: string) => (await Deno.stat(p)).mode! & 0o777;

Deno.test("loadOrCreateSelfSigned() persists four 0600 files in a 0700 dir and reuses them after a restart", async () => {
  await using tmp = await tempDir("tls-store-test-");
  const dataDir = join(tmp.path, "data");
  const first = await loadOrCreateSelfSigned({ dataDir, sans, logger: nullLogger }, t0);
  assertEquals(await mode(dataDir), 0o700);
  for (const f of ["ca.crt", "ca.key", "server.crt", "server.key"]) assertEquals(await mode(join(dataDir, f)), 0o600);
  assertEquals(await Deno.readTextFile(join(dataDir, "ca.crt")), first.ca.certPem);

  const second = await loadOrCreateSelfSigned({ dataDir, sans, logger: nullLogger }, new Date(t0.getTime() + 60_000));
  assertEquals(second.caFingerprint, first.caFingerprint);
  assertEquals(second.leaf.certPem, first.leaf.certPem);
});

Deno.test("loadOrCreateSelfSigned() renews an expiring leaf from the same persisted CA", async () => {
  await using tmp = await tempDir("tls-store-test-");
  const first = await loadOrCreateSelfSigned({ dataDir: tmp.path, sans, logger: nullLogger }, t0);
  const later = new Date(t0.getTime() + LEAF_VALIDITY_MS - 3_600_000);
  const second = await loadOrCreateSelfSigned({ dataDir: tmp.path, sans, logger: nullLogger }, later);
  assertEquals(second.caFingerprint, first.caFingerprint);
  assertNotEquals(second.leaf.certPem, first.leaf.certPem);
  assert(issuedBy(second.leaf.certPem, first.ca.certPem));
  assert(second.leafNotAfter > first.leafNotAfter);
  assertEquals(await Deno.readTextFile(join(tmp.path, "server.crt")), second.leaf.certPem);
});

Deno.test("loadOrCreateSelfSigned() issues a new leaf when tls_san changes, keeping the CA", async () => {
  await using tmp = await tempDir("tls-store-test-");
  const first = await loadOrCreateSelfSigned({ dataDir: tmp.path, sans, logger: nullLogger }, t0);
  const more = serverSans("talos-oidc.example.com", ["10.9.8.7"]);
  const second = await loadOrCreateSelfSigned({ dataDir: tmp.path, sans: more, logger: nullLogger }, t0);
  assertEquals(second.caFingerprint, first.caFingerprint);
  assertEquals(certFacts(second.leaf.certPem).sans.sort(), [...more].sort());
});

Deno.test("renewLeafIfDue() leaves a fresh leaf alone and renews a due one from the same CA", async () => {
  await using tmp = await tempDir("tls-store-test-");
  const options = { dataDir: tmp.path, sans, logger: nullLogger };
  const m = await loadOrCreateSelfSigned(options, t0);
  assertEquals(await renewLeafIfDue(m, options, t0), undefined);
  const renewed = await renewLeafIfDue(m, options, new Date(m.leafNotAfter.getTime() - 60_000));
  assert(renewed && renewed.caFingerprint === m.caFingerprint && issuedBy(renewed.leaf.certPem, m.ca.certPem));
  assertEquals(await Deno.readTextFile(join(tmp.path, "server.crt")), renewed.leaf.certPem);
});

Deno.test("loadOrCreateSelfSigned() signs with an original-tool CA (SEC1 EC key written by openssl)", async () => {
  await using tmp = await tempDir("tls-store-test-");
  const key = join(tmp.path, "ca.key"), crt = join(tmp.path, "ca.crt");
  const run = (args: string[]) => new Deno.Command("openssl", { args, stdout: "null", stderr: "null" }).output();
  await run(["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", key]);
  await run(["req", "-x509", "-key", key, "-out", crt, "-days", "3650", "-subj", "/CN=talosctl-oidc self-signed CA"]);
  await Deno.chmod(key, 0o644);
  const m = await loadOrCreateSelfSigned({ dataDir: tmp.path, sans, logger: nullLogger }, t0);
  assertEquals(m.ca.certPem, await Deno.readTextFile(crt));
  assert(issuedBy(m.leaf.certPem, m.ca.certPem));
  assertEquals(await mode(key), 0o600);
});

Deno.test("loadOrCreateSelfSigned() refuses a persisted CA whose key does not match instead of replacing it", async () => {
  await using tmp = await tempDir("tls-store-test-");
  const a = join(tmp.path, "a"), b = join(tmp.path, "b");
  await loadOrCreateSelfSigned({ dataDir: a, sans, logger: nullLogger }, t0);
  await loadOrCreateSelfSigned({ dataDir: b, sans, logger: nullLogger }, t0);
  await Deno.copyFile(join(b, "ca.key"), join(a, "ca.key"));
  const err = await assertRejects(() => loadOrCreateSelfSigned({ dataDir: a, sans, logger: nullLogger }, t0));
  assert(isTalosOidcError(err, "ERR_TLS") && /does not match/.test(err.message));
  await Deno.remove(join(a, "ca.key"));
  const err2 = await assertRejects(() => loadOrCreateSelfSigned({ dataDir: a, sans, logger: nullLogger }, t0));
  assert(isTalosOidcError(err2, "ERR_TLS") && /only one of ca.crt and ca.key/.test(err2.message));
});

Deno.test("loadOrCreateSelfSigned() keeps material in memory when data_dir is not set", async () => {
  const m = await loadOrCreateSelfSigned({ sans, logger: nullLogger }, t0);
  assert(issuedBy(m.leaf.certPem, m.ca.certPem));
  assertEquals(m.caFingerprint.length, 64);
});
