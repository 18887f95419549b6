/** @module Tests for login flag parsing, the automatic device-flow choice and the watch backoff. */

import { assert, assertEquals, assertMatch, assertThrows } from "../../tests/helpers/assert.ts";
import { defineSpec, parseFlags } from "../../shared/cli.ts";
import { isTalosOidcError } from "../../shared/errors.ts";
import type { BrowserPlatform } from "../browser.ts";
import { chooseDeviceFlow } from "./interactive.ts";
import { loginSpec, SIGN_IN_FLAGS } from "./flags.ts";
import { toLoginInput, toSignInInput } from "./input.ts";
import { backoffDelay } from "./watch.ts";

const parse = (args: string[], env: Record<string, string> = {}) => toLoginInput(parseFlags(loginSpec, args, env));
const REQUIRED = ["--provider", "https://idp", "--client-id", "c", "--server", "https://s"];

Deno.test("toLoginInput() names every missing required flag and its env var at once", () => {
  const err = assertThrows(() => parse([]));
  assert(isTalosOidcError(err, "ERR_USAGE"));
  assertMatch(
    err.message,
    /--provider \(or TALOSCTL_OIDC_PROVIDER\), --client-id .*, --server \(or TALOSCTL_OIDC_SERVER\)/,
  );
});

Deno.test("toLoginInput() takes env vars, defaults, and adds openid to the scopes", () => {
  const o = parse(["--scopes", "email,groups"], {
    TALOSCTL_OIDC_PROVIDER: "https://idp",
    TALOSCTL_OIDC_CLIENT_ID: "c",
    TALOSCTL_OIDC_SERVER: "https://s",
  });
  assertEquals(o.scopes, ["openid", "email", "groups"]);
  assertEquals(o.listenAddresses, ["127.0.0.1:8900"]);
  assertEquals(o.contextName, "oidc");
  assertEquals(o.explicitCallback, false);
  assertEquals(parse(REQUIRED).scopes, ["openid", "profile", "email", "offline_access"]);
});

Deno.test("--listen-address overrides --callback-port; a bad port is a usage error", () => {
  const o = parse([...REQUIRED, "--callback-port", "9000", "--listen-address", "[::1]:0,127.0.0.1:18000"]);
  assertEquals(o.listenAddresses, ["[::1]:0", "127.0.0.1:18000"]);
  assert(o.explicitCallback);
  assertEquals(parse([...REQUIRED, "--callback-port", "0"]).listenAddresses, ["127.0.0.1:0"]);
  assertThrows(() => parse([...REQUIRED, "--callback-port", "70000"]), (e) => isTalosOidcError(e, "ERR_USAGE"));
});

Deno.test("chooseDeviceFlow() picks the device flow when asked, or headless with an IdP that offers it", () => {
  const headless: BrowserPlatform = { os: "linux", env: {}, wsl: false };
  const desktop: BrowserPlatform = { os: "linux", env: { DISPLAY: ":0" }, wsl: false };
  assert(chooseDeviceFlow(parse([...REQUIRED, "--device-code"]), desktop, false));
  assert(chooseDeviceFlow(parse(REQUIRED), headless, true));
  assert(!chooseDeviceFlow(parse(REQUIRED), headless, false));
  assert(!chooseDeviceFlow(parse(REQUIRED), desktop, true));
  assert(!chooseDeviceFlow(parse([...REQUIRED, "--skip-open-browser"]), headless, true));
  assert(!chooseDeviceFlow(parse([...REQUIRED, "--browser-command", "x"]), headless, true));
});

Deno.test("backoffDelay() doubles from 10 s and stops at 5 minutes", () => {
  assertEquals([1, 2, 3, 4, 5, 6, 7, 20].map(backoffDelay), [10e3, 20e3, 40e3, 80e3, 160e3, 300e3, 300e3, 300e3]);
});

Deno.test("--local-server-cert and --local-server-key go together and count as a chosen callback", () => {
  const o = parse([...REQUIRED, "--local-server-cert", "~/cb.pem", "--local-server-key", "~/cb-key.pem"]);
  assertEquals([o.localServerCert, o.localServerKey, o.explicitCallback], ["~/cb.pem", "~/cb-key.pem", true]);
  assertThrows(
    () => parse([...REQUIRED, "--local-server-cert", "cb.pem"]),
    (e) => isTalosOidcError(e, "ERR_USAGE") && e.message === "login: --local-server-cert needs --local-server-key",
  );
  assertThrows(
    () => parse([...REQUIRED, "--local-server-key", "k.pem"]),
    (e) => isTalosOidcError(e, "ERR_USAGE") && e.message === "login: --local-server-key needs --local-server-cert",
  );
});

Deno.test("--context-name falls back to TALOSCTL_OIDC_CONTEXT, as status and logout do", () => {
  assertEquals(parse(REQUIRED, { TALOSCTL_OIDC_CONTEXT: "prod" }).contextName, "prod");
  assertEquals(parse([...REQUIRED, "--context-name", "dev"], { TALOSCTL_OIDC_CONTEXT: "prod" }).contextName, "dev");
});

Deno.test("toSignInInput() reads the SIGN_IN flags of another command exactly as login reads them", () => {
  const other = defineSpec({ name: "kube-token", usage: "talosctl-oidc kube token", flags: SIGN_IN_FLAGS });
  const args = ["--provider", "https://idp", "--client-id", "c", "--scopes", "groups", "--context-name", "k"];
  const {
    server: _,
    talosconfig: _t,
    serverCa: _c,
    insecure: _i,
    nodes: _n,
    watch: _w,
    force: _f,
    switchContext: _s,
    ...fromLogin
  } = parse([
    ...args,
    "--server",
    "https://s",
  ]);
  assertEquals(toSignInInput(parseFlags(other, args), "kube-token"), fromLogin);
  const err = assertThrows(() => toSignInInput(parseFlags(other, []), "kube-token"));
  assert(isTalosOidcError(err, "ERR_USAGE"));
  assertEquals(
    err.message,
    "kube-token: missing --provider (or TALOSCTL_OIDC_PROVIDER), --client-id (or TALOSCTL_OIDC_CLIENT_ID)",
  );
});
