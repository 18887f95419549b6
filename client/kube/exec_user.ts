/**
 * @module The kubeconfig exec block kube setup writes: this program's own absolute path as the command, and the
 * sign-in flags the user gave (so `kube token` finds the same cached token as `login`), secrets kept out of argv.
 */

import { basename } from "node:path";
import { fileURLToPath } from "node:url";
import { PERMISSIONS } from "../../shared/permissions.ts";
import { EXEC_API_V1 } from "./exec_credential.ts";
import type { ExecConfig } from "./kubeconfig_merge.ts";

/**
 * `deno run` reads and analyses, before running anything, every module main.ts's command table could import (~200
 * files, a third of a cached `kube token` run here); with this flag it loads only the command it runs. kubectl runs
 * the plugin for each of its commands (bench/REPORT.md, login_bench). The binary needs no flag: it loads its embedded
 * modules on use.
 */
const LAZY_IMPORTS = "--unstable-lazy-dynamic-imports";

/**
 * How to run this program again: its binary, or `deno run --unstable-lazy-dynamic-imports <permissions> <entry>`
 * from a checkout or the bundle.
 */
export function selfCommand(
  execPath: string = Deno.execPath(),
  mainModule: string = Deno.mainModule,
): { command: string; args: string[] } {
  if (!/^deno(\.exe)?$/i.test(basename(execPath))) return { command: execPath, args: [] };
  const entry = mainModule.startsWith("file:") ? fileURLToPath(mainModule) : mainModule;
  return { command: execPath, args: ["run", LAZY_IMPORTS, ...PERMISSIONS, entry] };
}

/** The sign-in flags as given to kube setup: name → value (only those given explicitly, not from a profile). */
export type GivenFlags = Readonly<Record<string, string | boolean | readonly string[]>>;

/** Flags never written into argv (a secret goes into the exec env), or meaningless for the plugin. */
const NOT_IN_ARGV = new Set(["client-secret", "verbose", "profile"]);

/**
 * The exec block for `kube token`. With a profile: `--profile NAME` plus the flags given on top of it; without:
 * provider, client and context always (an env var in kubectl's environment must not re-point the plugin), plus
 * every other sign-in flag given. A client secret given on the command line goes into the exec env.
 */
export function execConfig(
  o: { self: { command: string; args: string[] }; profile?: string; given: GivenFlags; clientSecret?: string },
): ExecConfig {
  const args = [...o.self.args, "kube", "token"];
  if (o.profile) args.push("--profile", o.profile);
  for (const [name, value] of Object.entries(o.given)) {
    if (NOT_IN_ARGV.has(name) || value === false) continue;
    if (value === true) args.push(`--${name}`);
    else args.push(`--${name}`, typeof value === "string" ? value : value.join(","));
  }
  return {
    apiVersion: EXEC_API_V1,
    command: o.self.command,
    args,
    env: o.clientSecret ? [{ name: "TALOSCTL_OIDC_CLIENT_SECRET", value: o.clientSecret }] : null,
    interactiveMode: "IfAvailable",
    provideClusterInfo: false,
    installHint: "kube token is talosctl-oidc's kubectl plugin: install talosctl-oidc " +
      "(https://github.com/talosctl-oidc/talosctl-oidc#install), then run talosctl-oidc kube setup again",
  };
}
