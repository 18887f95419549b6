/** @module Tests for shared/path.ts: node:path.posix and node:path.win32 as the oracle, input by input. */

import nodePath from "node:path";
import { assertEquals } from "../tests/helpers/assert.ts";
import { dirname, isAbsolute, join, posix, win32 } from "./path.ts";

const SEGMENTS = [
  "",
  ".",
  "..",
  "/",
  "//",
  "a",
  "a/",
  "/a",
  "/a/",
  "a/b",
  "a//b/",
  "./a",
  "../a",
  "a/..",
  "a/../..",
  "/..",
  "/../a",
  "a/./b/../c",
  ".config",
  "talosctl-oidc",
  "tokens.json",
  "~",
  "/home/alice",
  "/home/alice/",
  "/tmp/x/.talos/config",
  "//server/share",
  "//server/share/dir",
  "\\",
  "\\\\",
  "a\\b",
  "\\a\\b\\",
  "C:",
  "C:\\",
  "C:/",
  "C:a",
  "C:\\Users\\alice",
  "C:\\Users\\alice\\",
  "c:/users/../x",
  "C:\\..\\..",
  "\\\\server\\share",
  "\\\\server\\share\\",
  "\\\\server\\share\\dir\\file.txt",
  "\\\\server",
  "\\\\server\\",
  "\\\\\\x",
  "AppData\\Roaming",
  "..\\..\\a",
];

const FLAVORS = [["posix", posix, nodePath.posix], ["win32", win32, nodePath.win32]] as const;

Deno.test("dirname() and isAbsolute() agree with node:path on every input, posix and win32", () => {
  for (const [name, ours, node] of FLAVORS) {
    for (const p of SEGMENTS) {
      assertEquals(ours.dirname(p), node.dirname(p), `${name}.dirname(${JSON.stringify(p)})`);
      assertEquals(ours.isAbsolute(p), node.isAbsolute(p), `${name}.isAbsolute(${JSON.stringify(p)})`);
    }
  }
});

Deno.test("join() agrees with node:path on every pair and triple of inputs, posix and win32", () => {
  for (const [name, ours, node] of FLAVORS) {
    assertEquals(ours.join(), node.join(), `${name}.join()`);
    for (const a of SEGMENTS) {
      assertEquals(ours.join(a), node.join(a), `${name}.join(${JSON.stringify(a)})`);
      for (const b of SEGMENTS) {
        assertEquals(ours.join(a, b), node.join(a, b), `${name}.join(${JSON.stringify([a, b])})`);
        for (const c of ["", "..", "x", "\\y", "/z/"]) {
          assertEquals(ours.join(a, b, c), node.join(a, b, c), `${name}.join(${JSON.stringify([a, b, c])})`);
        }
      }
    }
  }
});

Deno.test("join(), dirname() and isAbsolute() follow the platform this runs on, as node:path does", () => {
  assertEquals(
    join("/home/alice", ".config", "talosctl-oidc", "tokens.json"),
    nodePath.join(
      "/home/alice",
      ".config",
      "talosctl-oidc",
      "tokens.json",
    ),
  );
  assertEquals(dirname("/home/alice/.talos/config"), nodePath.dirname("/home/alice/.talos/config"));
  assertEquals(isAbsolute("relative/dir"), nodePath.isAbsolute("relative/dir"));
});
