/** @module Tests for the startup log's open-file limit warning. */

import { assert, assertEquals, assertStringIncludes } from "../tests/helpers/assert.ts";
import { openFileLimitWarning } from "./startup_log.ts";

const limits = (soft: string, hard = soft) =>
  `Limit                     Soft Limit           Hard Limit           Units     \n` +
  `Max processes             127617               127617               processes \n` +
  `Max open files            ${soft.padEnd(20)} ${hard.padEnd(20)} files     \n`;

Deno.test("openFileLimitWarning() warns below twice max_connections plus 256, naming the limit and the fix", () => {
  const w = openFileLimitWarning(1024, limits("1024", "524288"));
  assert(w !== undefined);
  assertStringIncludes(w, "ulimit -n) is 1024");
  assertStringIncludes(w, "max_connections 1024");
  assertStringIncludes(w, "at least 2304");
  assertStringIncludes(w, "LimitNOFILE");
  assertEquals(openFileLimitWarning(1024, limits("2303")) !== undefined, true);
});

Deno.test("openFileLimitWarning() is quiet with room, an unlimited limit or no /proc", () => {
  assertEquals(openFileLimitWarning(1024, limits("2304")), undefined);
  assertEquals(openFileLimitWarning(1024, limits("65536")), undefined);
  assertEquals(openFileLimitWarning(1024, limits("unlimited")), undefined);
  assertEquals(openFileLimitWarning(1024, ""), undefined);
});
