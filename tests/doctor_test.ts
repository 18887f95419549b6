/** @module `doctor` verdicts against real files and a real TLS server: broken talosconfig, wrong server CA, expired cert. */

import { createDoctorCommand } from "../client/commands/doctor.ts";
import { mintTestCredentials } from "./helpers/client_certs.ts";
import { writeContext } from "../client/talosconfig/write.ts";
import { writeProfile } from "../client/profiles.ts";
import { runInProcess } from "./helpers/in_process.ts";
import { fixedClock } from "../shared/clock.ts";
import { assertEquals, assertMatch } from "./helpers/assert.ts";
import { createDevCa, type DevCa, signDevLeaf } from "./helpers/dev_ca.ts";

const SERVER_AUTH = "1.3.6.1.5.5.7.3.1";

/** Every test looks at the same instant, so durations in messages are exact. */
const NOW = new Date(Math.floor(Date.now() / 1000) * 1000);

async function doctor(home: string, args: string[]): Promise<{ code: number; out: string }> {
  const argv = ["--callback-port", "0", "--skip-keychain", ...args];
  const env = { HOME: home, XDG_CONFIG_HOME: `${home}/.config`, TALOSCTL_OIDC_KEYCHAIN: "off" };
  const r = await runInProcess(createDoctorCommand({ clock: fixedClock(NOW) }), argv, { env });
  return { code: r.code, out: r.stdout };
}

/** A temp HOME with a talosconfig holding context "oidc" with a certificate valid in [notBefore, notAfter]. */
async function homeWithContext(notAfter: Date, notBefore = new Date(NOW.getTime() - 60_000)) {
  const home = await Deno.makeTempDir();
  const creds = await mintTestCredentials({ roles: ["os:reader"], commonName: "alice", notBefore, notAfter });
  const path = `${home}/.talos/config`;
  await writeContext(path, "oidc", { endpoints: ["127.0.0.1"], nodes: ["127.0.0.1"], ...creds });
  return { home, path, [Symbol.asyncDispose]: () => Deno.remove(home, { recursive: true }) };
}

/** A real HTTPS server on 127.0.0.1 whose certificate is signed by `ca`. */
async function tlsServer(ca: DevCa) {
  const leaf = await signDevLeaf(ca, { subject: [{ CN: ["server"] }], eku: [SERVER_AUTH], ips: ["127.0.0.1"] });
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, cert: leaf.certPem, key: leaf.keyPem, onListen() {} },
    () => new Response("ok"),
  );
  // Deno's TLS server logs every refused handshake; the refusals are the point of these tests.
  return { url: `https://127.0.0.1:${server.addr.port}`, [Symbol.asyncDispose]: () => server.shutdown() };
}

/** The verdict line of check `name` (names may contain single spaces; columns are padded by two or more). */
function line(out: string, name: string): string {
  return out.split("\n").find((l) => l.match(/^(?:ok|warn|fail|skip)\s+(.+?)\s{2,}/)?.[1] === name) ??
    `(no "${name}" line in:\n${out})`;
}

Deno.test("doctor fails on a talosconfig that does not parse, naming the file and line, and exits 1", async () => {
  const home = await Deno.makeTempDir();
  try {
    await Deno.mkdir(`${home}/.talos`);
    await Deno.writeTextFile(
      `${home}/.talos/config`,
      "context: oidc\ncontexts:\n  oidc:\n    endpoints: [1.2.3.4]\n   nodes: x\n",
      { mode: 0o600 },
    );
    const r = await doctor(home, []);
    assertEquals(r.code, 1);
    assertMatch(line(r.out, "talosconfig"), /^fail .*parsing talosconfig ".*\.talos\/config" at line \d/);
    assertMatch(r.out, /fix: fix the file by hand/);
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("doctor reports a certificate that expired, with its roles and a login hint", async () => {
  await using h = await homeWithContext(new Date(NOW.getTime() - 3_600_000), new Date(NOW.getTime() - 7_200_000));
  const r = await doctor(h.home, []);
  assertEquals(r.code, 1);
  assertMatch(line(r.out, "certificate"), /^fail .*expired 1h0m ago .*roles os:reader/);
  assertMatch(line(r.out, "context"), /^ok .*context "oidc" found/);
  assertMatch(line(r.out, "permissions"), /^ok .*0600/);
});

Deno.test("doctor warns about a group-readable talosconfig and passes a valid certificate", async () => {
  await using h = await homeWithContext(new Date(NOW.getTime() + 3_600_000));
  await Deno.chmod(h.path, 0o644);
  const r = await doctor(h.home, []);
  assertEquals(r.code, 0, r.out);
  assertMatch(line(r.out, "permissions"), /^warn .*0644/);
  assertMatch(r.out, /fix: chmod 600 /);
  assertMatch(line(r.out, "certificate"), /^ok +certificate +valid for 1h0m more, roles os:reader, CN alice$/);
});

Deno.test("doctor fails server TLS when the server's certificate is signed by another CA than the pinned one", async () => {
  await using h = await homeWithContext(new Date(NOW.getTime() + 3_600_000));
  const serverCa = await createDevCa("ecdsa");
  const otherCa = await createDevCa("ecdsa");
  await using srv = await tlsServer(serverCa);
  await Deno.writeTextFile(`${h.home}/wrong-ca.pem`, otherCa.certPem);
  const r = await doctor(h.home, ["--server", srv.url, "--server-ca", `${h.home}/wrong-ca.pem`]);
  assertEquals(r.code, 1);
  assertMatch(line(r.out, "server TLS"), /^fail .*not signed by the CA in ".*wrong-ca\.pem"/);
  assertMatch(line(r.out, "server"), /^\(no "server" line/); // no reachability verdict without trust
});

Deno.test("doctor trusts the server through a profile's pinned CA and checks the clock against its Date header", async () => {
  await using h = await homeWithContext(new Date(NOW.getTime() + 3_600_000));
  const serverCa = await createDevCa("ecdsa");
  await using srv = await tlsServer(serverCa);
  const env = { HOME: h.home, XDG_CONFIG_HOME: `${h.home}/.config` };
  await writeProfile(
    { name: "dev", provider: "http://127.0.0.1:1", clientId: "c", server: srv.url },
    env,
    serverCa.certPem,
  );
  const r = await doctor(h.home, ["--profile", "dev"]);
  assertMatch(line(r.out, "server CA"), /^ok .*dev-ca\.pem" SHA-256 [0-9a-f]{16}/);
  assertMatch(line(r.out, "server"), /^ok .*answers \/healthz \(TLS verified with the pinned CA/);
  assertMatch(line(r.out, "clock"), /^ok +clock +within \d+s of the server's clock/);
  assertMatch(line(r.out, "IdP"), /^fail /); // nothing listens at the profile's provider
  assertEquals(r.code, 1);
});

Deno.test("doctor fails a pinned CA file whose fingerprint no longer matches the profile", async () => {
  await using h = await homeWithContext(new Date(NOW.getTime() + 3_600_000));
  const env = { HOME: h.home, XDG_CONFIG_HOME: `${h.home}/.config` };
  const ca = await createDevCa("ecdsa");
  const path = await writeProfile(
    {
      name: "p",
      provider: "http://127.0.0.1:1",
      clientId: "c",
      server: "https://127.0.0.1:1",
      serverCaSha256: "00".repeat(32),
    },
    env,
    ca.certPem,
  );
  const r = await doctor(h.home, ["--profile", "p"]);
  assertMatch(line(r.out, "server CA"), /^fail .*not the pinned 0000/);
  assertMatch(path, /\.config\/talosctl-oidc\/profiles\/p\.yaml$/);
});

Deno.test("doctor takes --context-name as every command does (--context still works, unlisted), and -o json", async () => {
  await using h = await homeWithContext(new Date(NOW.getTime() + 3_600_000));
  await Deno.chmod(h.path, 0o644); // one warning
  const text = await doctor(h.home, ["--context-name", "oidc"]);
  assertMatch(line(text.out, "context"), /^ok .*context "oidc" found/);
  assertMatch(text.out, /\n\d+ ok, 1 warning, 0 failures, \d+ skipped\n$/); // not "1 warnings"
  const old = await doctor(h.home, ["--context", "nope"]);
  assertMatch(line(old.out, "context"), /^fail .*"nope"/);
  const json = await doctor(h.home, ["--context-name", "oidc", "-o", "json"]);
  assertEquals(json.code, 0);
  const report = JSON.parse(json.out);
  assertEquals(report.summary.warn, 1);
  const perms = report.checks.find((c: { name: string }) => c.name === "permissions");
  assertEquals([perms.verdict, perms.fix], ["warn", `chmod 600 ${h.path}`]);
  assertEquals(report.checks.find((c: { name: string }) => c.name === "certificate").fix, null);
  const help = await doctor(h.home, ["--help"]);
  assertMatch(help.out, /--context-name NAME/);
  assertEquals(/--context /.test(help.out), false, help.out);
});
