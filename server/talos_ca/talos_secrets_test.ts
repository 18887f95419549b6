/** @module Tests for caFromTalosSecrets: secrets.yaml, controlplane.yaml, and the configs that hold no CA key. */

import { isTalosOidcError } from "../../shared/errors.ts";
import { assert, assertEquals, assertMatch, assertStringIncludes, assertThrows } from "../../tests/helpers/assert.ts";
import { createDevCa, machineConfigYaml, talosSecretsYaml, writeTalosSecretsYaml } from "../../tests/helpers/dev_ca.ts";
import { loadTalosCa } from "./load.ts";
import { caFromTalosSecrets } from "./talos_secrets.ts";

function refused(yaml: string, re: RegExp): { message: string; hint: string } {
  const err = assertThrows(() => caFromTalosSecrets(yaml));
  assert(isTalosOidcError(err, "ERR_CA"), String(err));
  assertMatch(err.message, re);
  return { message: err.message, hint: err.hint ?? "" };
}

Deno.test("caFromTalosSecrets() reads certs.os from a secrets.yaml written by writeTalosSecretsYaml()", async () => {
  const dev = await createDevCa("ed25519");
  const dir = await Deno.makeTempDir();
  try {
    const path = await writeTalosSecretsYaml(dir, dev);
    assertEquals((await Deno.stat(path)).mode! & 0o777, 0o600);
    const pair = caFromTalosSecrets(await Deno.readTextFile(path));
    assertEquals(pair, { certPem: dev.certPem, keyPem: dev.keyPem });
    assertEquals((await loadTalosCa(pair)).keyType, "ed25519");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("caFromTalosSecrets() reads machine.ca from a multi-document controlplane.yaml", async () => {
  const dev = await createDevCa("ecdsa");
  assertEquals(caFromTalosSecrets(machineConfigYaml(dev)), { certPem: dev.certPem, keyPem: dev.keyPem });
});

Deno.test("caFromTalosSecrets() refuses a worker config and points to the control-plane config", async () => {
  const dev = await createDevCa("ed25519");
  const { message, hint } = refused(machineConfigYaml(dev, { worker: true }), /machine\.ca\.key is empty.*worker/);
  assertStringIncludes(hint, "controlplane.yaml");
  assertStringIncludes(message + hint, "secrets.yaml");
});

Deno.test("caFromTalosSecrets() refuses a talosconfig, unrelated YAML and broken YAML without quoting it", () => {
  refused("context: a\ncontexts:\n  a:\n    ca: eA==\n    crt: eA==\n    key: eA==\n", /talosconfig/);
  refused("kind: Deployment\n", /found neither certs\.os .* nor machine\.ca/);
  refused("", /found neither/);
  const { message } = refused("certs:\n  os:\n    key: c2VjcmV0LWtleQ==\n   crt: [\n", /not valid YAML \(line \d+\)/);
  assert(!message.includes("c2VjcmV0"), message);
  refused("certs:\n  os:\n    crt: aGVsbG8=\n    key: aGVsbG8=\n", /certs\.os\.crt is neither PEM/);
});

Deno.test("caFromTalosSecrets() output loads for every CA kind", async () => {
  for (const kind of ["ed25519", "ecdsa", "rsa"] as const) {
    const dev = await createDevCa(kind);
    assertEquals((await loadTalosCa(caFromTalosSecrets(talosSecretsYaml(dev)))).certPem.trim(), dev.certPem.trim());
  }
});
