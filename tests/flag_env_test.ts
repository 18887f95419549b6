/**
 * @module Every flag of every command has an environment variable, shown in its --help, or is on the list below of
 * flags deliberately without one, each with the reason (the README promises the env var of each flag).
 */

import { COMMANDS, runCli } from "../main.ts";
import type { FlagSpec } from "../shared/cli.ts";
import { assert, assertEquals, assertStringIncludes } from "./helpers/assert.ts";

/** `flag` for every command that has it, or `command --flag` for one command only. */
const WITHOUT_ENV: Record<string, string> = {
  "output": "the format a script parses belongs in that script's command line",
  "watch": "what this one run does: a login that stays in the foreground",
  "force": "what this one run does: a fresh sign-in, once",
  "check": "what this one run does: probe the server",
  "revoke": "what this one run does: revoke the tokens at the IdP",
  "yes": "accepting a server's CA unseen must be typed where it happens",
  "insecure": "a loud opt-in (plain http:// server) must be typed where it is used",
  "insecure-provider": "a loud opt-in (plain http:// IdP) must be typed where it is used",
  "device-code": "login picks the device flow by itself without a display, and setup saves it in the profile",
  "skip-open-browser": "--browser-command or $BROWSER say how (or whether) a browser opens",
  "browser-command": "$BROWSER, the variable every tool reads, is its default",
  "listen-address": "a per-run binding (an SSH tunnel's port); TALOSCTL_OIDC_CALLBACK_PORT covers the usual case",
  "oidc-redirect-url": "must match one registration at the IdP; setup and profiles keep the callback port instead",
  "local-server-cert": "setup saves the pair in the profile",
  "local-server-key": "setup saves the pair in the profile",
  "nodes": "a per-cluster choice; talosctl --nodes overrides it per call",
  "context": "hidden old name of --context-name, which has TALOSCTL_OIDC_CONTEXT",
  "setup --profile": "the profile setup writes: an exported TALOSCTL_OIDC_PROFILE must not pick which one is replaced",
  "setup --server-ca-fingerprint": "a one-time check against the server's log, typed when pinning",
  "doctor --skip-keychain": "TALOSCTL_OIDC_KEYCHAIN=off turns the keychain off for every command",
  "doctor --kubernetes": "what this one run checks",
  "from": "the directory of one kube setup run",
  "kubeconfig": "$KUBECONFIG, kubectl's variable, is its default",
  "cluster": "a one-time kube setup value, recorded in what it writes",
  "username-claim": "a one-time kube setup value; kube doctor must be given what kube setup was",
  "groups-claim": "a one-time kube setup value; kube doctor must be given what kube setup was",
  "prefix": "a one-time kube setup value; kube doctor must be given what kube setup was",
  "talos-version": "a one-time kube setup value; kube doctor must be given what kube setup was",
  "admin-group": "a one-time kube setup value; kube doctor must be given what kube setup was",
  "output-dir": "a one-time kube setup value",
  "switch": "what this one run does: make the written context current (--no-switch keeps the current one)",
  "rbac --claims": "the input being tried, per run",
  "rbac --token": "the input being tried, per run",
  "rbac --issuer": "the input being tried, per run",
  "admin --token-file": "the admin token is the server's; an admin names its file where it is used",
  "admin --subject": "what this one admin action is about",
  "admin --email": "what this one admin action is about",
  "admin --reason": "what this one admin action is about",
  "admin --until": "what this one admin action is about",
  "audit --from-hash": "the input of one verification",
  "audit --start-hash": "older name of --from-hash: the input of one verification",
  "audit --expect-hash": "the input of one verification",
  "demo --headless": "the demo is self-contained: a real setup's exported variables must not change it",
  "demo --user": "the demo is self-contained: a real setup's exported variables must not change it",
  "demo --talos-api": "the demo is self-contained: a real setup's exported variables must not change it",
  "demo --talosconfig": "demo whoami takes the path the demo printed",
  "demo --context-name": "demo whoami takes the context the demo printed",
};

/** Every command and subcommand with its flags, as main.ts runs them. */
async function everyCommand(): Promise<{ name: string; args: string[]; flags: readonly FlagSpec[] }[]> {
  const out = [];
  for (const [name, entry] of Object.entries(COMMANDS)) {
    out.push({ name, args: [name], flags: (await entry.load()).spec.flags });
    for (const [sub, e] of Object.entries(entry.subcommands ?? {})) {
      out.push({ name: `${name} ${sub}`, args: [name, sub], flags: (await e.load()).spec.flags });
    }
  }
  return out;
}

async function help(args: string[]): Promise<string> {
  let out = "";
  const code = await runCli({
    args: [...args, "--help"],
    env: {},
    stdio: { stdout: (t) => void (out += t), stderr: () => {}, isTerminal: false },
    signal: new AbortController().signal,
  });
  assertEquals(code, 0, args.join(" "));
  return out;
}

Deno.test("every flag of every command has an env var shown in its --help, or a reason on the list to have none", async () => {
  const used = new Set<string>();
  for (const c of await everyCommand()) {
    const text = await help(c.args);
    for (const f of c.flags) {
      if (f.env) {
        if (!f.hidden) assertStringIncludes(text, `env ${f.env}`, `${c.name} --${f.name}`);
        assert(/^(TALOSCTL_OIDC_[A-Z0-9_]+|DEBUG)$/.test(f.env), `${c.name} --${f.name}: ${f.env}`);
        continue;
      }
      const key = [`${c.name} --${f.name}`, f.name].find((k) => Object.hasOwn(WITHOUT_ENV, k));
      assert(key, `${c.name} --${f.name} has no env var and no reason in WITHOUT_ENV`);
      used.add(key);
    }
  }
  assertEquals(Object.keys(WITHOUT_ENV).filter((k) => !used.has(k)), [], "entries for flags that have an env var now");
});

Deno.test("one flag name, one env var: the same flag reads the same variable in every command", async () => {
  const seen = new Map<string, string>();
  for (const c of await everyCommand()) {
    for (const f of c.flags) {
      if (!f.env) continue;
      const before = seen.get(f.name);
      if (before) assertEquals(f.env, before, `${c.name} --${f.name}`);
      seen.set(f.name, f.env);
    }
  }
  for (const [flag, env] of [["scopes", "SCOPES"], ["server-ca", "SERVER_CA"], ["talosconfig", "TALOSCONFIG"]]) {
    assertEquals(seen.get(flag!), `TALOSCTL_OIDC_${env}`);
  }
  assertEquals(seen.get("callback-port"), "TALOSCTL_OIDC_CALLBACK_PORT");
  assertEquals(seen.get("context-name"), "TALOSCTL_OIDC_CONTEXT");
});
