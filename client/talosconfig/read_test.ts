/** @module Tests for reading and parsing a talosconfig. */

import { join } from "node:path";
import { assertEquals, assertMatch, assertThrows } from "../../tests/helpers/assert.ts";
import { isTalosOidcError } from "../../shared/errors.ts";
import { contextNames, currentContext, getContext, parseTalosconfig, readTalosconfig } from "./read.ts";

Deno.test("readTalosconfig() treats a missing file as an empty config", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const r = await readTalosconfig(join(dir, "nope"));
    assertEquals([r.exists, r.text, currentContext(r.doc), contextNames(r.doc)], [false, "", "", []]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("parseTalosconfig() names the path and line of a YAML error", () => {
  const err = assertThrows(
    () => parseTalosconfig("context: a\ncontexts:\n  a: [\n", "/p/config"),
    (e) => isTalosOidcError(e, "ERR_TALOSCONFIG"),
  ) as Error;
  assertMatch(err.message, /^parsing talosconfig "\/p\/config" at line \d+: /);
});

Deno.test("parseTalosconfig() rejects shapes talosctl cannot read", () => {
  for (const bad of ["- a\n- b\n", "contexts: [a]\n", "context: [x]\n", "a: 1\na: 2\n"]) {
    assertThrows(() => parseTalosconfig(bad), (e) => isTalosOidcError(e, "ERR_TALOSCONFIG"));
  }
});

Deno.test("getContext() reads endpoints, nodes and credentials and tolerates missing keys", () => {
  const doc = parseTalosconfig("context: a\ncontexts:\n  a:\n    endpoints: [e1, e2]\n    ca: Y2E=\n  b: {}\n");
  assertEquals(getContext(doc, "a"), {
    endpoints: ["e1", "e2"],
    nodes: [],
    ca: "Y2E=",
    crt: undefined,
    key: undefined,
  });
  assertEquals(getContext(doc, "b")?.endpoints, []);
  assertEquals(getContext(doc, "c"), null);
  assertEquals(currentContext(doc), "a");
});
