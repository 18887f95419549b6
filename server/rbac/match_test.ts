/** @module Tests for exact, glob and regex matchers. */

import { assert, assertEquals, assertThrows } from "../../tests/helpers/assert.ts";
import { compileMatcher, globMatch, MAX_PATTERN_SUBJECT_LENGTH } from "./match.ts";

Deno.test("compileMatcher() exact compares whole strings case-sensitively", () => {
  const m = compileMatcher("talos-admins");
  assert(m("talos-admins"));
  assert(!m("Talos-Admins"));
  assert(!m("talos-admins-old"));
});

Deno.test("globMatch() is anchored and supports * ? and escapes", () => {
  assert(globMatch("talos-*", "talos-admins"));
  assert(globMatch("talos-*", "talos-"));
  assert(!globMatch("talos-*", "xtalos-admins"));
  assert(globMatch("team-?-ops", "team-a-ops"));
  assert(!globMatch("team-?-ops", "team-ab-ops"));
  assert(globMatch("*admins", "talos-admins"));
  assert(!globMatch("*admins", "talos-admins2"));
  assert(globMatch("a*b*c", "aXXbYYbZc"));
  assert(globMatch("literal\\*", "literal*"));
  assert(!globMatch("literal\\*", "literalX"));
  assert(globMatch("dot.s", "dot.s") && !globMatch("dot.s", "dotXs"));
  assert(globMatch("?", "😀"));
});

Deno.test("globMatch() stays fast on a pathological pattern", () => {
  const text = "a".repeat(1000);
  assert(!globMatch("*a*a*a*a*a*a*a*b", text));
});

Deno.test("compileMatcher() regex is anchored", () => {
  const m = compileMatcher("talos-(admins|ops)", "regex");
  assert(m("talos-admins"));
  assert(!m("talos-adminsX"));
  assert(!m("Xtalos-ops"));
  const alt = compileMatcher("a|b", "regex");
  assert(alt("a") && !alt("ab"));
});

Deno.test("compileMatcher() regex runs in linear time: ([a-z]+)+-admins against a 36-character claim finishes", () => {
  // A backtracking engine (RegExp) needs about 2^36 steps here: 19.8 s measured. RE2 answers in one pass.
  const m = compileMatcher("([a-z]+)+-admins", "regex");
  assertEquals(m("a".repeat(36)), false);
  assertEquals(m(`${"a".repeat(36)}!`), false);
  assertEquals(m("talos-admins"), true);
  assertEquals(m("talos-x-admins"), false);
});

Deno.test("compileMatcher() refuses regex features RE2 cannot run in linear time, saying which", () => {
  for (const [pattern, what] of [["(a)\\1", "\\1"], ["team-(?=ops)", "(?="], ["(?<!x)y", "(?<"]] as const) {
    assertThrows(
      () => compileMatcher(pattern, "regex"),
      (e) => e instanceof SyntaxError && e.message.includes(what) && /RE2/.test(e.message),
    );
  }
});

Deno.test("compileMatcher() throws SyntaxError for an invalid regex", () => {
  assertThrows(() => compileMatcher("(unclosed", "regex"), (e) => e instanceof SyntaxError);
});

Deno.test("compileMatcher() glob and regex ignore oversize claim values", () => {
  const long = "x".repeat(MAX_PATTERN_SUBJECT_LENGTH + 1);
  assert(!compileMatcher("x*", "glob")(long));
  assert(!compileMatcher("x+", "regex")(long));
});
