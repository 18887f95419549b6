/** @module The systemd unit: systemd-analyze verify and security, the hardening directives, the env it sets. */

import { join } from "node:path";
import { parseConfig } from "../../server/config.ts";
import { assert, assertEquals, assertMatch } from "../helpers/assert.ts";
import { runProgram, tempDir } from "./support.ts";

const UNIT = new URL("../../scripts/talosctl-oidc.service", import.meta.url).pathname;

/** The unit with ExecStart pointing at an executable stand-in (verify checks the binary exists). */
async function unitWithStandIn(dir: string): Promise<string> {
  const bin = join(dir, "talosctl-oidc");
  await Deno.writeTextFile(bin, "#!/bin/sh\nexit 0\n", { mode: 0o755 });
  const unit = join(dir, "talosctl-oidc.service");
  await Deno.writeTextFile(unit, (await Deno.readTextFile(UNIT)).replaceAll("/usr/local/bin/talosctl-oidc", bin));
  return unit;
}

/** `[Section]` → key → values (repeated keys keep every value, in order). */
function parseUnit(text: string): Map<string, Map<string, string[]>> {
  const sections = new Map<string, Map<string, string[]>>();
  let current: Map<string, string[]> | undefined;
  for (const line of text.split("\n").map((l) => l.trim())) {
    if (!line || line.startsWith("#") || line.startsWith(";")) continue;
    const s = line.match(/^\[(.+)\]$/);
    if (s) sections.set(s[1]!, current = new Map());
    else {
      const [k, ...v] = line.split("=");
      current!.set(k!, [...(current!.get(k!) ?? []), v.join("=")]);
    }
  }
  return sections;
}

Deno.test("the systemd unit passes systemd-analyze verify without a single warning", async () => {
  await using tmp = await tempDir();
  const r = await runProgram("systemd-analyze", ["verify", await unitWithStandIn(tmp.path)]);
  assertEquals(r.code, 0, r.stderr);
  assertEquals(r.stderr, "");
});

Deno.test("the systemd unit's exposure level in systemd-analyze security is OK (at most 2.0)", async () => {
  await using tmp = await tempDir();
  const unit = await unitWithStandIn(tmp.path);
  const r = await runProgram("systemd-analyze", ["security", "--offline=yes", "--threshold=20", "--no-pager", unit]);
  assertEquals(r.code, 0, r.stdout + r.stderr);
  assertMatch(r.stdout, /Overall exposure level for talosctl-oidc\.service: [01]\.\d OK|: 2\.0 OK/);
});

Deno.test("the systemd unit sets the hardening the docs promise", async () => {
  const svc = parseUnit(await Deno.readTextFile(UNIT)).get("Service")!;
  const one = (k: string) => svc.get(k)?.at(-1);
  for (
    const [k, v] of Object.entries({
      DynamicUser: "yes",
      StateDirectory: "talosctl-oidc",
      ProtectSystem: "strict",
      ProtectHome: "yes",
      NoNewPrivileges: "yes",
      PrivateTmp: "yes",
      CapabilityBoundingSet: "",
      RestrictAddressFamilies: "AF_INET AF_INET6 AF_UNIX",
      Restart: "on-failure",
      EnvironmentFile: "-/etc/talosctl-oidc/env",
    })
  ) assertEquals(one(k), v, k);
  assert(svc.get("SystemCallFilter")!.includes("@system-service"));
  assertEquals(svc.get("LoadCredential"), ["ca.crt:/etc/talosctl-oidc/ca.crt", "ca.key:/etc/talosctl-oidc/ca.key"]);
  assertEquals(svc.get("MemoryDenyWriteExecute"), undefined, "V8's JIT needs writable+executable pages");
});

Deno.test("the environment the unit sets is accepted by the server's config parser", async () => {
  const svc = parseUnit(await Deno.readTextFile(UNIT)).get("Service")!;
  const env: Record<string, string> = {};
  for (const e of svc.get("Environment")!) {
    const [k, ...v] = e.split("=");
    env[k!] = v.join("=").replace("%d", "/run/credentials/talosctl-oidc.service").replace("%S", "/var/lib");
  }
  assertEquals(env.TALOSCTL_OIDC_CONFIG, "/etc/talosctl-oidc/config.yaml");
  const file = {
    issuer_url: "https://auth.example.com",
    client_id: "talosctl",
    endpoints: ["10.0.0.10"],
    roles: ["os:reader"],
  };
  const parsed = parseConfig(file, env);
  assertEquals(parsed.problems, []);
  assertEquals(parsed.config.ca, {
    kind: "pem",
    cert: { path: "/run/credentials/talosctl-oidc.service/ca.crt" },
    key: { path: "/run/credentials/talosctl-oidc.service/ca.key" },
  });
  assertEquals(parsed.config.dataDir, "/var/lib/talosctl-oidc");
});
