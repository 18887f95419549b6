/** @module Tests for talosconfig and token file path resolution. */

import { assertEquals, assertThrows } from "../tests/helpers/assert.ts";
import { isTalosOidcError } from "../shared/errors.ts";
import { expandHome, resolveTalosconfigPath, tokenCachePath, userConfigDir } from "./paths.ts";

const HOME = { HOME: "/home/alice" };

Deno.test("resolveTalosconfigPath() follows talosctl's order: flag, TALOSCONFIG, TALOS_HOME, ~/.talos/config", () => {
  const all = { ...HOME, TALOSCONFIG: "/etc/tc", TALOS_HOME: "/opt/talos" };
  assertEquals(resolveTalosconfigPath("/x/flag", all, "linux"), "/x/flag");
  assertEquals(resolveTalosconfigPath(undefined, all, "linux"), "/etc/tc");
  assertEquals(resolveTalosconfigPath("", { ...HOME, TALOS_HOME: "/opt/talos" }, "linux"), "/opt/talos/config");
  assertEquals(resolveTalosconfigPath(undefined, HOME, "linux"), "/home/alice/.talos/config");
});

Deno.test("resolveTalosconfigPath() ignores a relative or empty TALOS_HOME and an empty TALOSCONFIG", () => {
  const env = { ...HOME, TALOSCONFIG: "", TALOS_HOME: "relative/dir" };
  assertEquals(resolveTalosconfigPath(undefined, env, "linux"), "/home/alice/.talos/config");
});

Deno.test("resolveTalosconfigPath() expands ~ in the flag and in TALOSCONFIG", () => {
  assertEquals(resolveTalosconfigPath("~/clusters/tc", HOME, "linux"), "/home/alice/clusters/tc");
  assertEquals(resolveTalosconfigPath(undefined, { ...HOME, TALOSCONFIG: "~/tc" }, "linux"), "/home/alice/tc");
  assertEquals(expandHome("~", HOME, "linux"), "/home/alice");
  assertEquals(expandHome("/abs/~x", HOME, "linux"), "/abs/~x");
});

Deno.test("userConfigDir() matches Go's os.UserConfigDir on each OS", () => {
  assertEquals(userConfigDir(HOME, "linux"), "/home/alice/.config");
  assertEquals(userConfigDir({ ...HOME, XDG_CONFIG_HOME: "/xdg" }, "linux"), "/xdg");
  assertEquals(userConfigDir({ ...HOME, XDG_CONFIG_HOME: "rel" }, "linux"), "/home/alice/.config");
  assertEquals(userConfigDir(HOME, "darwin"), "/home/alice/Library/Application Support");
  assertEquals(
    userConfigDir({ APPDATA: "C:\\Users\\a\\AppData\\Roaming", USERPROFILE: "C:\\Users\\a" }, "windows"),
    "C:\\Users\\a\\AppData\\Roaming",
  );
  assertEquals(tokenCachePath(HOME, "linux"), "/home/alice/.config/talosctl-oidc/tokens.json");
});

Deno.test("homeDir() failure is a config error with a hint", () => {
  assertThrows(() => resolveTalosconfigPath(undefined, {}, "linux"), (e) => isTalosOidcError(e, "ERR_CONFIG"));
});
