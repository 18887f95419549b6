/** @module Tests for loadTalosCa: every key form Talos and Go use, and every refusal. */

import { Buffer } from "node:buffer";
import { createHash, createPublicKey, generateKeyPairSync, X509Certificate } from "node:crypto";
import { isTalosOidcError } from "../../shared/errors.ts";
import { assert, assertEquals, assertMatch, assertRejects, assertStringIncludes } from "../../tests/helpers/assert.ts";
import { createDevCa, type DevCaOptions, generateDevKey, keyToPem } from "../../tests/helpers/dev_ca.ts";
import { loadTalosCa } from "./load.ts";

const b64 = (s: string) => Buffer.from(s).toString("base64");

/** Assert loadTalosCa refuses with ERR_CA, a hint, a message matching `re`, and no key material in either. */
async function assertRefused(input: { certPem: string; keyPem: string; now?: Date }, re: RegExp): Promise<string> {
  const err = await assertRejects(() => loadTalosCa(input));
  assert(isTalosOidcError(err, "ERR_CA"), String(err));
  assertMatch(err.message, re);
  assert(err.hint && err.hint.length > 0, "expected a hint");
  const keyBody = input.keyPem.split("\n")[1] ?? "";
  assert(!`${err.message} ${err.hint}`.includes(keyBody.slice(0, 20)) || keyBody === "", "key material leaked");
  return err.hint;
}

Deno.test("loadTalosCa() loads a Talos Ed25519 CA whose key is labelled ED25519 PRIVATE KEY", async () => {
  const dev = await createDevCa("ed25519");
  assertMatch(dev.keyPem, /^-----BEGIN ED25519 PRIVATE KEY-----\n/);
  const ca = await loadTalosCa(dev);
  const x = new X509Certificate(dev.certPem);
  assertEquals(ca.keyType, "ed25519");
  assertEquals(ca.subject, "O=talos");
  assertEquals(ca.fingerprint, x.fingerprint256.replaceAll(":", "").toLowerCase());
  assertEquals(ca.notAfter.getTime(), new Date(x.validTo).getTime());
  assertEquals(ca.certPem.trim(), dev.certPem.trim());
  assertEquals(ca.keyId.length, 20);
});

const FORMS: Array<[string, "ed25519" | "ecdsa" | "rsa", DevCaOptions, string]> = [
  ["Ed25519 PKCS#8 (PRIVATE KEY)", "ed25519", { keyForm: "pkcs8" }, "ed25519"],
  ["ECDSA P-256 SEC1 (EC PRIVATE KEY)", "ecdsa", { keyForm: "sec1" }, "ecdsa-p256"],
  ["ECDSA P-256 PKCS#8", "ecdsa", { keyForm: "pkcs8" }, "ecdsa-p256"],
  ["ECDSA P-384 SEC1", "ecdsa", { curve: "P-384", keyForm: "sec1" }, "ecdsa-p384"],
  ["RSA PKCS#1 (RSA PRIVATE KEY)", "rsa", { keyForm: "pkcs1" }, "rsa"],
  ["RSA PKCS#8", "rsa", { keyForm: "pkcs8" }, "rsa"],
];

for (const [name, kind, opts, keyType] of FORMS) {
  Deno.test(`loadTalosCa() loads a CA with an ${name} key, as PEM and as base64 of PEM`, async () => {
    const dev = await createDevCa(kind, opts);
    assertEquals((await loadTalosCa(dev)).keyType, keyType);
    assertEquals((await loadTalosCa({ certPem: b64(dev.certPem), keyPem: b64(dev.keyPem) })).keyType, keyType);
  });
}

Deno.test("loadTalosCa() reads a key whose label does not match its format, as Go's tls.X509KeyPair does", async () => {
  const dev = await createDevCa("ecdsa", { keyForm: "pkcs8" });
  const mislabelled = dev.keyPem.replaceAll(" PRIVATE KEY", " RSA PRIVATE KEY");
  assertEquals((await loadTalosCa({ ...dev, keyPem: mislabelled })).keyType, "ecdsa-p256");
});

Deno.test("loadTalosCa() skips an EC PARAMETERS block before the key and picks the certificate matching the key", async () => {
  const dev = await createDevCa("ecdsa");
  const other = await createDevCa("ecdsa");
  const params = "-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n";
  const ca = await loadTalosCa({ certPem: other.certPem + dev.certPem, keyPem: params + dev.keyPem });
  assertEquals(ca.certPem.trim(), dev.certPem.trim());
});

Deno.test("loadTalosCa() keeps the signing key out of JSON and inspection", async () => {
  const ca = await loadTalosCa(await createDevCa("ed25519"));
  assert(ca.signingKey.type === "private");
  const json = JSON.stringify(ca);
  assert(!json.includes("signingKey") && !json.includes("PRIVATE"), json.slice(0, 200));
  assert(!Deno.inspect(ca, { depth: 5 }).includes("signingKey"));
});

Deno.test("loadTalosCa() uses SHA-1 of the CA public key as key id when the CA has no SKI", async () => {
  const dev = await createDevCa("ed25519", { ski: false });
  const ca = await loadTalosCa(dev);
  const raw = createPublicKey(dev.certPem).export({ format: "jwk" }).x!;
  assertEquals(
    Buffer.from(ca.keyId).toString("hex"),
    createHash("sha1").update(Buffer.from(raw, "base64url")).digest("hex"),
  );
});

Deno.test("loadTalosCa() refuses a certificate that is not a CA", async () => {
  const hint = await assertRefused(await createDevCa("ed25519", { isCa: false }), /not a CA certificate/);
  assertStringIncludes(hint, "controlplane.yaml");
});

Deno.test("loadTalosCa() refuses a key that does not belong to the certificate", async () => {
  const dev = await createDevCa("ed25519");
  await assertRefused({ ...dev, keyPem: (await createDevCa("ed25519")).keyPem }, /does not match/);
  await assertRefused({ ...dev, keyPem: (await createDevCa("ecdsa")).keyPem }, /does not match/);
});

Deno.test("loadTalosCa() refuses unsupported key types: Ed448, P-521, RSA below 2048 bits", async () => {
  const dev = await createDevCa("ed25519");
  for (
    const key of [
      generateKeyPairSync("ed448").privateKey,
      generateKeyPairSync("ec", { namedCurve: "P-521" }).privateKey,
      generateKeyPairSync("rsa", { modulusLength: 1024 }).privateKey,
    ]
  ) {
    await assertRefused({ ...dev, keyPem: keyToPem(key, "pkcs8") }, /unsupported key type/);
  }
});

Deno.test("loadTalosCa() refuses an expired CA and one not yet valid", async () => {
  const past = new Date(Date.now() - 400 * 86_400_000);
  const expired = await createDevCa("ed25519", { notBefore: past, notAfter: new Date(Date.now() - 86_400_000) });
  await assertRefused(expired, /expired at/);
  const dev = await createDevCa("ed25519");
  await assertRefused({ ...dev, now: new Date(Date.now() - 7 * 86_400_000) }, /not valid before/);
  await assertRefused({ ...dev, now: new Date(Date.now() + 20 * 365 * 86_400_000) }, /expired at/);
});

Deno.test("loadTalosCa() says which input it could not read", async () => {
  const dev = await createDevCa("ed25519");
  await assertRefused({ ...dev, certPem: "hello" }, /reading the CA certificate: .*neither PEM nor base64/);
  await assertRefused({ ...dev, keyPem: "hello" }, /reading the CA key: .*neither PEM nor base64/);
  const damaged = dev.certPem.replace(/\n[A-Za-z0-9+/]{8}/, "\n!!!!!!!!");
  await assertRefused({ ...dev, certPem: damaged }, /reading the CA certificate: its PEM is damaged/);
  const junk = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
  await assertRefused({ ...dev, certPem: junk }, /reading the CA certificate: it is not a valid X\.509/);
  const junkKey = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n";
  await assertRefused({ ...dev, keyPem: junkKey }, /reading the CA key: .*not a PKCS#8, PKCS#1 or SEC1/);
});

Deno.test("loadTalosCa() notices swapped inputs and encrypted keys", async () => {
  const dev = await createDevCa("ecdsa");
  const hint = await assertRefused(
    { certPem: dev.keyPem, keyPem: dev.certPem },
    /no CERTIFICATE block but a private key/,
  );
  assertStringIncludes(hint, "swapped");
  const encrypted = generateDevKey("ecdsa").export({
    type: "pkcs8",
    format: "pem",
    cipher: "aes-256-cbc",
    passphrase: "pw",
  }) as string;
  await assertRefused({ ...dev, keyPem: encrypted }, /encrypted/);
  const legacy = dev.keyPem.replace("\n", "\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\n");
  await assertRefused({ ...dev, keyPem: legacy }, /encrypted/);
});
