/**
 * @module The single-file bundle end to end: built by scripts/bundle.ts, copied alone into an empty directory and
 * run with an empty DENO_DIR and the binary's permissions: version, help, then the bundled server and the bundled
 * client doing a real login (real IdP, redirect-following browser, self-signed TLS, dev Talos CA).
 */

import { X509Certificate } from "node:crypto";
import { join } from "node:path";
import { parse } from "yaml";
import { bundle } from "../../scripts/bundle.ts";
import { PERMISSIONS, V8_FLAGS } from "../../scripts/compile.ts";
import { assert, assertEquals, assertStringIncludes } from "../helpers/assert.ts";
import { createDevCa } from "../helpers/dev_ca.ts";
import { startTestIdp } from "../helpers/idp.ts";
import { serveEnv } from "../helpers/server.ts";
import { runProgram, tempDir } from "./support.ts";

const ROOT = new URL("../..", import.meta.url).pathname;
const INFO = { version: "v0.9.1", commit: "feedc0ffee00feedc0ffee00feedc0ffee00feed", date: "2026-02-03T04:05:06Z" };

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/** A fresh machine: nothing but the bundle, an empty DENO_DIR, a temp HOME, no keychain. */
function machineEnv(dir: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
    HOME: join(dir, "home"),
    XDG_CONFIG_HOME: join(dir, "home/.config"),
    DENO_DIR: join(dir, "deno-dir"),
    TALOSCTL_OIDC_KEYCHAIN: "off",
    NO_COLOR: "1",
    RUST_BACKTRACE: "0",
    ...extra,
  };
}

Deno.test("the bundle runs alone from an empty directory with an empty DENO_DIR", async (t) => {
  await using tmp = await tempDir();
  const built = join(tmp.path, "build/talosctl-oidc.js");
  await bundle({ output: built, info: INFO, log: () => {} });
  const dir = join(tmp.path, "machine"), run = join(dir, "run");
  for (const d of [run, join(dir, "home"), join(dir, "deno-dir")]) await Deno.mkdir(d, { recursive: true });
  await Deno.copyFile(built, join(run, "talosctl-oidc.js"));
  const text = await Deno.readTextFile(join(run, "talosctl-oidc.js"));
  const cli = (args: string[], env: Record<string, string> = {}) =>
    runProgram(Deno.execPath(), ["run", ...PERMISSIONS, "talosctl-oidc.js", ...args], {
      cwd: run,
      env: machineEnv(dir, env),
    });

  await t.step("version prints the build info the bundle was made with", async () => {
    const r = await cli(["version"]);
    assertEquals(r.code, 0, r.stderr);
    assertEquals(r.stdout, `talosctl-oidc ${INFO.version}\n  commit: ${INFO.commit}\n  built:  ${INFO.date}\n`);
  });

  await t.step("serve --help and login --help work", async () => {
    for (const cmd of ["serve", "login"]) {
      const r = await cli([cmd, "--help"]);
      assertEquals(r.code, 0, r.stderr);
      assertStringIncludes(r.stdout, `talosctl-oidc ${cmd}`);
    }
  });

  await t.step("neither the demo nor test-only packages are in the bundle", async () => {
    for (const pkg of ["oidc-provider", "playwright-core", "kubernetes-models"]) assert(!text.includes(pkg), pkg);
    const r = await cli(["demo"]);
    assertEquals(r.code, 2);
    assertStringIncludes(r.stderr, "the demo is only available in a source checkout");
  });

  await t.step("the bundled server and the bundled client log in against a real IdP", async () => {
    await using idp = await startTestIdp();
    const ca = await createDevCa("ed25519");
    const server = new Deno.Command(Deno.execPath(), {
      args: ["run", ...PERMISSIONS, V8_FLAGS, "talosctl-oidc.js", "serve"], // as the binaries run it
      cwd: run,
      clearEnv: true,
      env: machineEnv(dir, { ...serveEnv(idp, ca, "10.0.0.10"), TALOSCTL_OIDC_DATA_DIR: join(dir, "data") }),
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).spawn();
    let log = "";
    const lines = server.stderr.pipeThrough(new TextDecoderStream()).getReader();
    const until = async (re: RegExp) => {
      while (!re.test(log)) {
        const { value, done } = await lines.read();
        if (done) throw new Error(`server exited before ${re}:\n${log}`);
        log += value;
      }
    };
    try {
      await until(/"msg":"Self-signed CA PEM[^\n]*\n/);
      await until(/listening on[^\n]*\n/);
      const entries = log.split("\n").filter(Boolean).map((l) => JSON.parse(l));
      const url = entries.find((e) => /listening on/.test(e.msg)).url as string;
      const caMsg = entries.find((e) => /Self-signed CA PEM/.test(e.msg)).msg as string;
      await Deno.writeTextFile(join(dir, "server-ca.pem"), caMsg.slice(caMsg.indexOf("-----BEGIN")));

      const talosconfig = join(dir, "home/talosconfig");
      const walker = `'${Deno.execPath()}' 'run' '-A' '${join(ROOT, "tests/helpers/browser_walker.ts")}'`;
      const r = await cli([
        "login",
        ...["--provider", idp.issuer, "--client-id", idp.clientId, "--server", url],
        ...["--server-ca", join(dir, "server-ca.pem"), "--talosconfig", talosconfig],
        ...["--callback-port", String(freePort()), "--browser-command", walker],
      ]);
      assertEquals(r.code, 0, `${r.stderr}\nserver log:\n${log}`);
      const cfg = parse(await Deno.readTextFile(talosconfig));
      assertEquals(cfg.context, "oidc");
      assertEquals(cfg.contexts.oidc.endpoints, ["10.0.0.10"]);
      const cert = new X509Certificate(atob(cfg.contexts.oidc.crt));
      assertStringIncludes(cert.subject, "O=os:admin");
      assert(cert.checkIssued(new X509Certificate(ca.certPem)), "signed by the Talos CA the server was given");
      assertEquals((await Deno.stat(talosconfig)).mode! & 0o777, 0o600);
    } finally {
      server.kill("SIGTERM");
      const status = await server.status;
      await lines.cancel();
      assertEquals(status.code, 0, "the server shuts down gracefully on SIGTERM");
    }
  });
});
