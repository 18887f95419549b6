/** @module Issued certificates do real mTLS against a fake apid that trusts only the Talos CA and reads Subject O. */

import { createCertIssuer } from "../server/talos_ca/issuer.ts";
import { loadTalosCa } from "../server/talos_ca/load.ts";
import { type ApidAnswer, callApid, startFakeApid } from "./helpers/apid.ts";
import { assert, assertEquals, assertMatch, assertStringIncludes } from "./helpers/assert.ts";
import { createDevCa, type DevCa, type DevCaKind, signDevLeaf } from "./helpers/dev_ca.ts";

const HOUR = 3_600_000;

async function openssl(args: string[], stdin?: string): Promise<{ code: number; out: string; err: string }> {
  const child = new Deno.Command("openssl", { args, stdin: "piped", stdout: "piped", stderr: "piped" }).spawn();
  const writer = child.stdin.getWriter();
  if (stdin !== undefined) await writer.write(new TextEncoder().encode(stdin));
  await writer.close();
  const { code, stdout, stderr } = await child.output();
  const dec = new TextDecoder();
  return { code, out: dec.decode(stdout), err: dec.decode(stderr) };
}

/** A key and a CSR made by the openssl CLI (subject deliberately claims os:admin; the issuer must ignore it). */
async function opensslCsr(kind: DevCaKind): Promise<{ keyPem: string; csrPem: string }> {
  const dir = await Deno.makeTempDir();
  try {
    const gen = kind === "ed25519"
      ? ["genpkey", "-algorithm", "ed25519"]
      : kind === "ecdsa"
      ? ["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384"]
      : ["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"];
    const key = await openssl([...gen, "-out", `${dir}/key.pem`]);
    assertEquals(key.code, 0, key.err);
    const csr = await openssl(["req", "-new", "-key", `${dir}/key.pem`, "-subj", "/O=os:admin/CN=mallory"]);
    assertEquals(csr.code, 0, csr.err);
    return { keyPem: await Deno.readTextFile(`${dir}/key.pem`), csrPem: csr.out };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function setup(kind: DevCaKind) {
  const dev = await createDevCa(kind);
  const issuer = createCertIssuer(await loadTalosCa(dev));
  return { dev, issuer };
}

function ok(answer: ApidAnswer): { subject_cn: string; roles: string[] } {
  assert("status" in answer, `mTLS request failed: ${"error" in answer ? answer.error : ""}`);
  assertEquals(answer.status, 200, JSON.stringify(answer.body));
  return answer.body as { subject_cn: string; roles: string[] };
}

const NAME = { ed25519: "an Ed25519", ecdsa: "an ECDSA", rsa: "an RSA" } as const;

for (const kind of ["ed25519", "ecdsa", "rsa"] as const) {
  Deno.test(`a certificate issued by ${NAME[kind]} CA with a server-made key passes mTLS and carries its roles`, async () => {
    const { dev, issuer } = await setup(kind);
    await using apid = await startFakeApid({ caPem: dev.certPem, caKeyPem: dev.keyPem });
    const cert = await issuer.issue({
      roles: ["os:reader", "os:admin", "os:reader"],
      commonName: "alice@example.com",
      ttlMs: HOUR,
      now: new Date(),
    });
    assert(cert.keyPem);
    assertMatch(
      cert.keyPem,
      kind === "ecdsa" ? /^-----BEGIN EC PRIVATE KEY-----/ : /^-----BEGIN ED25519 PRIVATE KEY-----/,
    );
    const body = ok(await callApid(apid, { certPem: cert.certPem, keyPem: cert.keyPem }));
    assertEquals(body, { subject_cn: "alice@example.com", roles: ["os:admin", "os:reader"] });
  });

  Deno.test(`a certificate issued by ${NAME[kind]} CA for an openssl CSR passes mTLS with the CSR's key`, async () => {
    const { dev, issuer } = await setup(kind);
    await using apid = await startFakeApid({ caPem: dev.certPem, caKeyPem: dev.keyPem });
    const { keyPem, csrPem } = await opensslCsr(kind);
    const cert = await issuer.issue({ roles: ["os:reader"], commonName: "bob", ttlMs: HOUR, now: new Date(), csrPem });
    assertEquals(cert.keyPem, undefined);
    assertEquals(ok(await callApid(apid, { certPem: cert.certPem, keyPem })), {
      subject_cn: "bob",
      roles: ["os:reader"],
    });
  });
}

async function ed25519Setup(): Promise<{ dev: DevCa; issuer: ReturnType<typeof createCertIssuer> }> {
  return await setup("ed25519");
}

Deno.test("the fake apid refuses a certificate whose ExtKeyUsage is [serverAuth, clientAuth]", async () => {
  const { dev } = await ed25519Setup();
  await using apid = await startFakeApid({ caPem: dev.certPem, caKeyPem: dev.keyPem });
  const both = await signDevLeaf(dev, {
    subject: [{ O: ["os:admin"] }],
    eku: ["1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2"],
  });
  const answer = await callApid(apid, both);
  assert("status" in answer);
  assertEquals(answer.status, 403);
  assertStringIncludes(String(answer.body.error), "exactly [clientAuth]");
  // The same profile with [clientAuth] only is accepted, so the refusal is about the EKU.
  const only = await signDevLeaf(dev, { subject: [{ O: ["os:admin"] }] });
  assertEquals(ok(await callApid(apid, only)).roles, ["os:admin"]);
});

Deno.test("the fake apid refuses an expired certificate and a not-yet-valid one at the handshake", async () => {
  const { dev, issuer } = await ed25519Setup();
  await using apid = await startFakeApid({ caPem: dev.certPem, caKeyPem: dev.keyPem });
  const expired = await issuer.issue({
    roles: ["os:admin"],
    commonName: "a",
    ttlMs: HOUR,
    now: new Date(Date.now() - 2 * HOUR),
  });
  const future = await issuer.issue({
    roles: ["os:admin"],
    commonName: "a",
    ttlMs: HOUR,
    now: new Date(Date.now() + 2 * HOUR),
  });
  for (const cert of [expired, future]) {
    const answer = await callApid(apid, { certPem: cert.certPem, keyPem: cert.keyPem! });
    assert("error" in answer, `expected a refused handshake, got ${JSON.stringify(answer)}`);
  }
});

Deno.test("the fake apid refuses a certificate from another CA", async () => {
  const { dev } = await ed25519Setup();
  await using apid = await startFakeApid({ caPem: dev.certPem, caKeyPem: dev.keyPem });
  const other = await setup("ed25519");
  const cert = await other.issuer.issue({ roles: ["os:admin"], commonName: "eve", ttlMs: HOUR, now: new Date() });
  assert("error" in await callApid(apid, { certPem: cert.certPem, keyPem: cert.keyPem! }));
});

Deno.test("os:impersonator is never issued even when requested", async () => {
  const { dev, issuer } = await ed25519Setup();
  await using apid = await startFakeApid({ caPem: dev.certPem, caKeyPem: dev.keyPem });
  const cert = await issuer.issue({
    roles: ["os:impersonator", " os:operator ", "os:impersonator "],
    commonName: "carol",
    ttlMs: HOUR,
    now: new Date(),
  });
  assertEquals(ok(await callApid(apid, { certPem: cert.certPem, keyPem: cert.keyPem! })).roles, ["os:operator"]);
  const text = await openssl(["x509", "-noout", "-subject"], cert.certPem);
  assert(!text.out.includes("impersonator"), text.out);
});

Deno.test("openssl parses an issued certificate and verifies it for client authentication", async () => {
  const { dev, issuer } = await ed25519Setup();
  const cert = await issuer.issue({
    roles: ["os:reader"],
    commonName: "dave@example.com",
    ttlMs: HOUR,
    now: new Date(),
  });
  const text = await openssl(["x509", "-noout", "-text"], cert.certPem);
  assertEquals(text.code, 0, text.err);
  assertStringIncludes(text.out, "Subject: O = os:reader, CN = dave@example.com");
  assertStringIncludes(text.out, "Issuer: O = talos");
  assertMatch(text.out, /X509v3 Key Usage: critical\s+Digital Signature\n/);
  assertMatch(text.out, /X509v3 Extended Key Usage: \s*\n\s+TLS Web Client Authentication\n/);
  assertMatch(text.out, /X509v3 Basic Constraints: critical\s+CA:FALSE/);
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/ca.pem`, dev.certPem);
    const verify = await openssl(["verify", "-purpose", "sslclient", "-CAfile", `${dir}/ca.pem`], cert.certPem);
    assertEquals(verify.code, 0, verify.err + verify.out);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** The `go` binary on PATH, if any: the Go check runs only where Go is installed. */
function findGo(): string | undefined {
  for (const dir of (Deno.env.get("PATH") ?? "").split(":")) {
    try {
      if (Deno.statSync(`${dir}/go`).isFile) return `${dir}/go`;
    } catch {
      // not here
    }
  }
  return undefined;
}

const GO = findGo();

Deno.test({
  name: "Go's crypto/tls, as in apid and talosctl, loads the issued key pairs, verifies them and reads the roles",
  ignore: GO === undefined,
  async fn() {
    const root = await Deno.makeTempDir();
    try {
      const expect: Record<string, Record<string, unknown>> = {};
      for (const kind of ["ed25519", "ecdsa", "rsa"] as const) {
        const { dev, issuer } = await setup(kind);
        const dir = `${root}/${kind}`;
        await Deno.mkdir(dir);
        await Deno.writeTextFile(`${dir}/ca.pem`, dev.certPem);
        const now = new Date();
        const pairs: Array<[{ certPem: string; keyPem: string }, Record<string, unknown>]> = [];
        const own = await issuer.issue({ roles: ["os:reader", "os:admin"], commonName: "alice", ttlMs: HOUR, now });
        pairs.push([{ certPem: own.certPem, keyPem: own.keyPem! }, { roles: ["os:admin", "os:reader"], cn: "alice" }]);
        const { keyPem, csrPem } = await opensslCsr(kind);
        const csr = await issuer.issue({ roles: ["os:operator"], commonName: "bob", ttlMs: HOUR, now, csrPem });
        pairs.push([{ certPem: csr.certPem, keyPem }, { roles: ["os:operator"], cn: "bob" }]);
        if (kind === "ed25519") {
          const both = await signDevLeaf(dev, {
            subject: [{ O: ["os:admin"] }],
            eku: ["1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2"],
          });
          pairs.push([both, { eku: "refused" }]);
          const old = await issuer.issue({
            roles: ["os:admin"],
            commonName: "a",
            ttlMs: HOUR,
            now: new Date(Date.now() - 2 * HOUR),
          });
          pairs.push([{ certPem: old.certPem, keyPem: old.keyPem! }, { verify: "refused", handshake: "refused" }]);
        }
        for (const [i, [pair, want]] of pairs.entries()) {
          await Deno.writeTextFile(`${dir}/${i}.crt`, pair.certPem);
          await Deno.writeTextFile(`${dir}/${i}.key`, pair.keyPem); // as written: Talos's ED25519 PRIVATE KEY label
          expect[`${kind}/${i}`] = want;
        }
      }
      const source = new URL("./helpers/go_apid.go", import.meta.url).pathname;
      const out = await new Deno.Command(GO!, {
        args: ["run", source, `${root}/ed25519`, `${root}/ecdsa`, `${root}/rsa`],
        stdout: "piped",
        stderr: "piped",
      }).output();
      assertEquals(out.code, 0, new TextDecoder().decode(out.stderr));
      const results = new TextDecoder().decode(out.stdout).trim().split("\n").map((l) => JSON.parse(l));
      assertEquals(results.length, Object.keys(expect).length);
      for (const r of results) {
        const want = expect[`${r.dir}/${r.index}`]!;
        const label = `${r.dir}/${r.index}: ${JSON.stringify(r)}`;
        assertEquals(r.keypair, "ok", label);
        if (want.roles) {
          assertEquals([r.verify, r.eku, r.handshake], ["ok", "ok", "ok"], label);
          assertEquals([r.roles, r.peer_roles, r.cn], [want.roles, want.roles, want.cn], label);
        }
        if (want.eku) assertStringIncludes(r.eku, "exactly [clientAuth]", label);
        if (want.verify) assert(r.verify !== "ok" && r.handshake !== "ok", label);
      }
    } finally {
      await Deno.remove(root, { recursive: true });
    }
  },
});
