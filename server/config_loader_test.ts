/** @module Tests for loadServerConfig: real files on disk, modes, CA checks, YAML errors, every problem at once. */

import { readRbacConfig } from "./rbac/rbac_config.ts";
import { join } from "node:path";
import { assert, assertEquals, assertMatch, assertNotMatch, assertStringIncludes } from "../tests/helpers/assert.ts";
import { createDevCa, writeTalosSecretsYaml } from "../tests/helpers/dev_ca.ts";
import { parse } from "yaml";
import { parseConfig } from "./config.ts";
import { loadServerConfig } from "./config_loader.ts";

async function tempDir(): Promise<{ path: string } & AsyncDisposable> {
  const path = await Deno.makeTempDir({ prefix: "config-loader-test-" });
  return { path, [Symbol.asyncDispose]: () => Deno.remove(path, { recursive: true }) };
}

const BASE = "issuer_url: https://idp.example.com\nclient_id: talosctl\nendpoints: [10.0.0.1]\nroles: [os:admin]\n";
/** The required settings as environment variables, for the tests that give the rest there too. */
const BASE_ENV = {
  TALOSCTL_OIDC_ISSUER_URL: "https://idp.example.com",
  TALOSCTL_OIDC_ROLES: "os:admin",
  TALOSCTL_OIDC_CLIENT_ID: "c",
  TALOSCTL_OIDC_ENDPOINTS: "e",
};

Deno.test("loadServerConfig() loads the CA from talos_secrets and names the file source", async () => {
  await using dir = await tempDir();
  const secrets = await writeTalosSecretsYaml(dir.path, await createDevCa("ed25519"));
  await Deno.chmod(secrets, 0o600);
  const path = join(dir.path, "config.yaml");
  await Deno.writeTextFile(path, `${BASE}talos_secrets: ${secrets}\n`);
  const loaded = await loadServerConfig({ path, env: {} });
  assertEquals(loaded.problems, []);
  assertEquals(loaded.source, `Configuration loaded from file: ${path} (env vars override)`);
  assertEquals(loaded.ca?.keyType, "ed25519");
});

Deno.test("loadServerConfig() reads the path from TALOSCTL_OIDC_CONFIG and lets env override the file", async () => {
  await using dir = await tempDir();
  const ca = await createDevCa("ecdsa");
  const path = join(dir.path, "config.yaml");
  await Deno.writeTextFile(path, `${BASE}cert_ttl: 10m\n`);
  const loaded = await loadServerConfig({
    env: {
      TALOSCTL_OIDC_CONFIG: path,
      TALOSCTL_OIDC_CERT_TTL: "2m",
      TALOSCTL_OIDC_CA_CERT_DATA: btoa(ca.certPem),
      TALOSCTL_OIDC_CA_KEY_DATA: btoa(ca.keyPem),
    },
  });
  assertEquals(loaded.problems, []);
  assertEquals(loaded.config.certTtlMs, 120_000);
  assertEquals(loaded.ca?.keyType, "ecdsa-p256");
});

Deno.test("loadServerConfig() refuses a CA key file readable by group or others", async () => {
  await using dir = await tempDir();
  const ca = await createDevCa("ed25519");
  const crt = join(dir.path, "ca.crt"), key = join(dir.path, "ca.key");
  await Deno.writeTextFile(crt, ca.certPem);
  await Deno.writeTextFile(key, ca.keyPem);
  await Deno.chmod(key, 0o640);
  const loaded = await loadServerConfig({
    env: {
      ...BASE_ENV,
      TALOSCTL_OIDC_CA_CERT: crt,
      TALOSCTL_OIDC_CA_KEY: key,
    },
  });
  assertEquals(loaded.problems.length, 1);
  assertMatch(
    loaded.problems[0]!,
    /^ca_key \/ TALOSCTL_OIDC_CA_KEY: ".*ca.key" holds the CA private key but is readable/,
  );
  assertStringIncludes(loaded.problems[0]!, "(mode 0640); run: chmod 600");
  assertEquals(loaded.ca, undefined);
});

Deno.test("loadServerConfig() reports a CA key that does not match the certificate, with no key material", async () => {
  const a = await createDevCa("ed25519"), b = await createDevCa("ed25519");
  const loaded = await loadServerConfig({
    env: {
      ...BASE_ENV,
      TALOSCTL_OIDC_CA_CERT_DATA: a.certPem,
      TALOSCTL_OIDC_CA_KEY_DATA: b.keyPem,
    },
  });
  assertEquals(loaded.problems.length, 1);
  assertMatch(loaded.problems[0]!, /^ca_key \/ TALOSCTL_OIDC_CA_KEY: checking the CA key: it does not match/);
  assertNotMatch(loaded.problems[0]!, /PRIVATE KEY/);
});

Deno.test("loadServerConfig() lists config and file problems together", async () => {
  await using dir = await tempDir();
  const path = join(dir.path, "config.yaml");
  await Deno.writeTextFile(
    path,
    "client_id: c\ncert_ttl: forever\ntls_cert: /nonexistent.crt\ntalos_secrets: /nonexistent.yaml\n",
  );
  const loaded = await loadServerConfig({ path, env: {} });
  const text = loaded.problems.join("\n");
  for (const key of ["issuer_url", "endpoints", "cert_ttl", "tls_key", "talos_secrets"]) {
    assertStringIncludes(text, `${key} / TALOSCTL_OIDC_${key.toUpperCase()}`);
  }
  assert(loaded.problems.length >= 5, text);
});

Deno.test("loadServerConfig() reports an unreadable file, and invalid YAML with the parser's message but no quote", async () => {
  await using dir = await tempDir();
  const missing = await loadServerConfig({ path: join(dir.path, "nope.yaml"), env: {} });
  assertMatch(missing.problems[0] ?? "", /^reading config file ".*nope.yaml": /);
  const path = join(dir.path, "bad.yaml");
  await Deno.writeTextFile(path, "admin_token: hunter2-secret\nendpoints: [a, b\n");
  const bad = await loadServerConfig({ path, env: {} });
  assertEquals(bad.problems.length, 1);
  assertMatch(bad.problems[0]!, /^parsing config file ".*bad.yaml": invalid YAML at line \d+: Flow sequence .* \]/);
  assertNotMatch(bad.problems[0]!, /hunter2|\n/);
});

Deno.test("loadServerConfig() reports invalid YAML in the log_format a whole top-level line of the file still says", async () => {
  await using dir = await tempDir();
  const path = join(dir.path, "bad.yaml");
  const formatOf = async (text: string, env: Record<string, string> = {}) => {
    await Deno.writeTextFile(path, text);
    const loaded = await loadServerConfig({ path, env });
    assertMatch(loaded.problems.join("\n"), /^parsing config file ".*bad\.yaml": invalid YAML/);
    return loaded.config.logFormat;
  };
  const broken = "endpoints: [a, b\n";
  assertEquals(await formatOf(`log_format: text\n${broken}`), "text");
  assertEquals(await formatOf(`${broken}log_format: "text"   # people read this log\r\n`), "text");
  assertEquals(await formatOf(`\uFEFFlog_format: 'text'\n${broken}`), "text", "after a byte-order mark");
  assertEquals(await formatOf(`log_format: text\n${broken}`, { TALOSCTL_OIDC_LOG_FORMAT: "json" }), "json", "env wins");
  assertEquals(await formatOf(broken), "json", "nothing to salvage: the default");
  assertEquals(await formatOf(`tls:\n  log_format: text\n${broken}`), "json", "an indented line is another key's");
  assertEquals(await formatOf(`note: |\n  log_format: text\n${broken}`), "json", "inside a block scalar");
  assertEquals(await formatOf(`log_format: text#no\n${broken}`), "json", "a # without a space is part of the value");
  assertEquals(await formatOf(`log_format: text, json\n${broken}`), "json", "not the whole line");
  assertEquals(await formatOf(`log_format: text\nlog_format: json\n${broken}`), "json", "lines that disagree");
});

Deno.test("loadServerConfig() checks that the provided TLS key matches its certificate", async () => {
  await using dir = await tempDir();
  const ca = await createDevCa("ed25519"), other = await createDevCa("ecdsa"), tlsA = await createDevCa("ecdsa");
  const crt = join(dir.path, "tls.crt"), key = join(dir.path, "tls.key");
  await Deno.writeTextFile(crt, tlsA.certPem);
  await Deno.writeTextFile(key, other.keyPem);
  const loaded = await loadServerConfig({
    env: {
      ...BASE_ENV,
      TALOSCTL_OIDC_CA_CERT_DATA: ca.certPem,
      TALOSCTL_OIDC_CA_KEY_DATA: ca.keyPem,
      TALOSCTL_OIDC_TLS_CERT: crt,
      TALOSCTL_OIDC_TLS_KEY: key,
    },
  });
  assertEquals(loaded.problems.length, 1);
  assertMatch(loaded.problems[0]!, /^tls_cert \/ TALOSCTL_OIDC_TLS_CERT: the TLS key ".*" does not match/);
});

Deno.test("config.example.yaml parses without problems or warnings", async () => {
  const text = await Deno.readTextFile(new URL("../config.example.yaml", import.meta.url));
  const { problems, warnings, config } = parseConfig(parse(text), {});
  assertEquals([problems, warnings], [[], []]);
  assert(config.rbacRules.length > 0 && config.tls.mode === "self-signed");
});

Deno.test("loadServerConfig() refuses an audit HMAC key file others can read, or one shorter than 32 bytes", async () => {
  await using dir = await tempDir();
  const ca = await createDevCa("ed25519");
  const env = {
    TALOSCTL_OIDC_CA_CERT_DATA: btoa(ca.certPem),
    TALOSCTL_OIDC_CA_KEY_DATA: btoa(ca.keyPem),
    TALOSCTL_OIDC_AUDIT_HMAC_KEY_FILE: join(dir.path, "audit.key"),
  };
  const path = join(dir.path, "config.yaml");
  await Deno.writeTextFile(path, BASE);
  await Deno.writeTextFile(env.TALOSCTL_OIDC_AUDIT_HMAC_KEY_FILE, "k".repeat(40), { mode: 0o644 });
  const loose = await loadServerConfig({ path, env });
  assertMatch(
    loose.problems.join("\n"),
    /^audit_hmac_key_file .*readable by group or others \(mode 0644\).*chmod 600/m,
  );
  await Deno.chmod(env.TALOSCTL_OIDC_AUDIT_HMAC_KEY_FILE, 0o600);
  assertEquals((await loadServerConfig({ path, env })).problems, []);
  await Deno.writeTextFile(env.TALOSCTL_OIDC_AUDIT_HMAC_KEY_FILE, "short\n");
  assertMatch(
    (await loadServerConfig({ path, env })).problems.join("\n"),
    /5 bytes; the key must be at least 32 bytes/,
  );
});

Deno.test("rbac's config reader reports invalid YAML as serve does: the parser's message and line, no quote", () => {
  const err = (() => {
    try {
      readRbacConfig("admin_token: hunter2-secret\nrbac: {rules: [\n");
    } catch (e) {
      return e as Error;
    }
    throw new Error("no error");
  })();
  assertMatch(err.message, /^parsing config file: invalid YAML at line \d+: \w.*/);
  assertNotMatch(err.message, /hunter2|\n/);
});
