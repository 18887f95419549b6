/** @module readTailLines() reads whole lines from the end of real files within its byte bound. */

import { join } from "node:path";
import { assertEquals } from "../tests/helpers/assert.ts";
import { readTailLines } from "./tail_lines.ts";

Deno.test("readTailLines() returns every non-empty line of a small file, oldest first", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, "a.jsonl");
    await Deno.writeTextFile(path, "one\n\ntwo\nthree\n");
    assertEquals(await readTailLines(path, 1024), { lines: ["one", "two", "three"], skippedBytes: 0 });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("readTailLines() drops the line cut by the byte bound and says how much it skipped", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, "a.jsonl");
    await Deno.writeTextFile(path, "aaaaaaaaaa\nbbbb\ncccc\n");
    assertEquals(await readTailLines(path, 12), { lines: ["bbbb", "cccc"], skippedBytes: 9 });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("readTailLines() answers null for a missing file", async () => {
  assertEquals(await readTailLines("/nonexistent/talosctl-oidc/audit.jsonl", 100), null);
});
