/**
 * @module Talos system extension: build the OCI image with scripts/build_extension.sh and check its layout,
 * manifest, service spec, shipped glibc (by running it in a chroot) and the example ExtensionServiceConfig.
 * Stand-in: `deno compile` cannot run here, so the image is built from the deno executable itself, which is
 * glibc-linked exactly like the denort runtime a compiled talosctl-oidc carries.
 */

import { join } from "node:path";
import { parse } from "yaml";
import { parseConfig } from "../../server/config.ts";
import { assert, assertEquals, assertStringIncludes } from "../helpers/assert.ts";
import { extractLayer, listLayer, openOciArchive } from "./oci.ts";
import { runProgram, tempDir } from "./support.ts";

const ROOT = new URL("../..", import.meta.url).pathname;
const BUILD = join(ROOT, "scripts/build_extension.sh");
const CTR = "rootfs/usr/local/lib/containers/talosctl-oidc";
const STAND_IN = Deno.execPath();

async function lddLibraries(binary: string): Promise<string[]> {
  const r = await runProgram("ldd", [binary]);
  assertEquals(r.code, 0, r.stderr);
  return r.stdout.split("\n").map((l) => l.trim().split(/\s+/)[0]!).filter((n) => n && !n.startsWith("linux-vdso"))
    .map((n) => n.split("/").pop()!);
}

Deno.test("build_extension.sh builds a Talos extension image that follows the extension rules", async (t) => {
  await using tmp = await tempDir();
  const archive = join(tmp.path, "ext.tar");
  const build = await runProgram(BUILD, [STAND_IN, archive], {
    env: { PATH: Deno.env.get("PATH")!, VERSION: "v1.2.3" },
  });
  assertEquals(build.code, 0, build.stderr);
  const oci = join(tmp.path, "oci");
  await Deno.mkdir(oci);
  const image = await openOciArchive(archive, oci);
  assertEquals(image.layers.length, 1);
  const entries = await listLayer(image.layers[0]!);
  const byPath = new Map(entries.map((e) => [e.path, e]));

  await t.step("the image config says linux/amd64 and carries the version label", () => {
    assertEquals([image.config.os, image.config.architecture], ["linux", "amd64"]);
    assertEquals(image.config.config?.Labels?.["org.opencontainers.image.version"], "1.2.3");
  });

  await t.step("the image root holds only /manifest.yaml and /rootfs/, and rootfs only /usr/local/", () => {
    const top = new Set(entries.map((e) => e.path.split("/")[0]));
    assertEquals([...top].sort(), ["manifest.yaml", "rootfs"]);
    const outside = entries.filter((e) =>
      e.path.startsWith("rootfs") && !["rootfs", "rootfs/usr", "rootfs/usr/local"].includes(e.path) &&
      !e.path.startsWith("rootfs/usr/local/")
    );
    assertEquals(outside, []);
  });

  await t.step("nothing is world-writable, there are no special files, and root owns everything", () => {
    assertEquals(entries.filter((e) => e.mode & 0o002).map((e) => e.path), []);
    assertEquals(entries.filter((e) => e.type !== "-" && e.type !== "d").map((e) => `${e.type} ${e.path}`), []);
    assertEquals(entries.filter((e) => e.uid !== 0 || e.gid !== 0).map((e) => e.path), []);
  });

  await t.step(
    "the container rootfs has the binary, the loader at its ELF interpreter path and every ldd library",
    async () => {
      assertEquals(byPath.get(`${CTR}/talosctl-oidc`)?.mode, 0o755);
      assertEquals(byPath.get(`${CTR}/lib64/ld-linux-x86-64.so.2`)?.type, "-");
      for (const lib of await lddLibraries(STAND_IN)) {
        if (lib.startsWith("ld-linux")) continue;
        assert(byPath.has(`${CTR}/lib/${lib}`), `${lib} (listed by ldd) is shipped in ${CTR}/lib`);
      }
    },
  );

  await t.step("the manifest names the extension, its version and the Talos versions it supports", async () => {
    const extracted = join(tmp.path, "image");
    await Deno.mkdir(extracted);
    await extractLayer(image.layers[0]!, extracted);
    const manifest = parse(await Deno.readTextFile(join(extracted, "manifest.yaml")));
    assertEquals(manifest.version, "v1alpha1");
    assertEquals(manifest.metadata.name, "talosctl-oidc");
    assertEquals(manifest.metadata.version, "1.2.3");
    assert(manifest.metadata.author && manifest.metadata.description.length > 20);
    assertEquals(manifest.metadata.compatibility, { talos: { version: ">= v1.13.0" } }, "machined socket for ext-*");
  });

  await t.step(
    "the service spec runs ./talosctl-oidc serve with the data dir rw and the host CA bundle ro",
    async () => {
      const spec = parse(
        await Deno.readTextFile(join(tmp.path, "image/rootfs/usr/local/etc/containers/talosctl-oidc.yaml")),
      );
      assertEquals(spec.name, "talosctl-oidc");
      assertEquals(spec.container.entrypoint, "./talosctl-oidc");
      assertEquals(spec.container.args, ["serve"]);
      assertEquals(spec.restart, "always");
      assertEquals(spec.container.mounts, [
        { source: "/etc/ssl/certs", destination: "/etc/ssl/certs", type: "bind", options: ["rbind", "ro"] },
        {
          source: "/var/lib/talosctl-oidc",
          destination: "/var/lib/talosctl-oidc",
          type: "bind",
          options: ["rbind", "rw"],
        },
        {
          source: "/system/run/machined/machine.sock",
          destination: "/system/run/machined/machine.sock",
          type: "bind",
          options: ["rbind", "rw"],
        },
      ]);
      assert(spec.container.environment.includes("TALOSCTL_OIDC_DATA_DIR=/var/lib/talosctl-oidc"));
      assert(spec.container.environment.includes("TALOSCTL_OIDC_TALOS_SOCKET=/system/run/machined/machine.sock"));
      assertEquals(spec.depends, [{ network: ["addresses", "connectivity", "etcfiles"] }, { configuration: true }]);
      for (const dep of spec.depends) assertEquals(Object.keys(dep).length, 1, "each dependency sets exactly one kind");
      assertEquals(spec.container.security, undefined, "the rootfs stays read-only");
    },
  );

  await t.step({
    name: "the shipped glibc runs the binary in a root that has nothing else (chroot, needs root)",
    ignore: Deno.uid() !== 0,
    fn: async () => {
      const ctr = join(tmp.path, "image", CTR);
      await Deno.writeTextFile(join(ctr, "hello.js"), 'console.log("hello from", Deno.build.os, Deno.build.arch);\n');
      await Deno.mkdir(join(ctr, "deno-dir"));
      const spec = parse(
        await Deno.readTextFile(join(tmp.path, "image/rootfs/usr/local/etc/containers/talosctl-oidc.yaml")),
      );
      const env = Object.fromEntries(spec.container.environment.map((e: string) => e.split(/=(.*)/s).slice(0, 2)));
      const r = await runProgram("/usr/sbin/chroot", [ctr, "/talosctl-oidc", "run", "--no-config", "/hello.js"], {
        env: { ...env, DENO_DIR: "/deno-dir", NO_COLOR: "1", PATH: "/" },
      });
      assertEquals(r.code, 0, r.stderr);
      assertEquals(r.stdout, "hello from linux x86_64\n");
    },
  });
});

Deno.test("build_extension.sh writes an OCI layout directory when OUT ends with a slash", async () => {
  await using tmp = await tempDir();
  const r = await runProgram(BUILD, [STAND_IN, join(tmp.path, "layout") + "/"], {
    env: { PATH: Deno.env.get("PATH")! },
  });
  assertEquals(r.code, 0, r.stderr);
  const index = JSON.parse(await Deno.readTextFile(join(tmp.path, "layout/index.json")));
  assertEquals(index.manifests[0].annotations["org.opencontainers.image.ref.name"], "dev");
});

Deno.test("build_extension.sh refuses a binary that is not a Linux ELF executable", async () => {
  await using tmp = await tempDir();
  const fake = join(tmp.path, "talosctl-oidc");
  await Deno.writeTextFile(fake, "#!/bin/sh\necho hi\n", { mode: 0o755 });
  const r = await runProgram(BUILD, [fake, join(tmp.path, "out.tar")], { env: { PATH: Deno.env.get("PATH")! } });
  assertEquals(r.code, 1);
  assertStringIncludes(r.stderr, "is not an x86-64 or AArch64 ELF executable");
});

Deno.test("build_extension.sh passes shellcheck", async () => {
  const r = await runProgram("shellcheck", [BUILD]);
  assertEquals(r.code, 0, r.stdout);
});

Deno.test("the example ExtensionServiceConfig configures a server the config parser accepts", async () => {
  const doc = parse(await Deno.readTextFile(join(ROOT, "extension/examples/extension-service-config.yaml")));
  assertEquals([doc.apiVersion, doc.kind, doc.name], ["v1alpha1", "ExtensionServiceConfig", "talosctl-oidc"]);
  const files = new Map<string, string>(
    doc.configFiles.map((f: { mountPath: string; content: string }) => [f.mountPath, f.content]),
  );
  const env = Object.fromEntries(doc.environment.map((e: string) => e.split(/=(.*)/s).slice(0, 2)));
  const configPath = env.TALOSCTL_OIDC_CONFIG as string;
  assertEquals(configPath, "/etc/talosctl-oidc/config.yaml");
  const config = parse(files.get(configPath)!);
  assert(![...files.values()].some((c) => c.includes("PRIVATE KEY") || c.includes("CERTIFICATE")), "no CA at all");
  assertEquals(Object.keys(env).filter((k) => /CA_|TALOS_CONFIG/.test(k)), [], "no CA or credential in the env");
  const spec = parse(
    await Deno.readTextFile(join(ROOT, "extension/rootfs/usr/local/etc/containers/talosctl-oidc.yaml")),
  );
  const specEnv = Object.fromEntries(spec.container.environment.map((e: string) => e.split(/=(.*)/s).slice(0, 2)));
  const parsed = parseConfig(config, { ...specEnv, ...env });
  assertEquals(parsed.problems, []);
  assertEquals(parsed.warnings, []);
  assertEquals(parsed.config.dataDir, "/var/lib/talosctl-oidc");
  assertEquals(parsed.config.rbacRules.length, 3);
  assertEquals(parsed.config.issuerBackend, "talos_api");
  assertEquals(parsed.config.talosApi, { kind: "socket", path: "/system/run/machined/machine.sock", timeoutMs: 5000 });
});
