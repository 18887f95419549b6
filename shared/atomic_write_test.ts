/** @module Tests for atomicWrite on real files: modes, symlinks followed, dangling symlinks refused. */

import { join } from "node:path";
import { assert, assertEquals, assertRejects } from "../tests/helpers/assert.ts";
import { atomicWrite } from "./atomic_write.ts";
import { isTalosOidcError } from "./errors.ts";
import { tempDir } from "../tests/helpers/temp_dir.ts";

Deno.test("atomicWrite() creates a 0600 file, and replaces a symlink's target keeping the link", async () => {
  await using t = await tempDir("atomic-write-");
  const file = join(t.path, "new.json");
  await atomicWrite(file, "one");
  assertEquals([await Deno.readTextFile(file), (await Deno.stat(file)).mode! & 0o777], ["one", 0o600]);
  const link = join(t.path, "link.json");
  await Deno.symlink("new.json", link);
  await atomicWrite(link, "two");
  assert((await Deno.lstat(link)).isSymlink);
  assertEquals(await Deno.readTextFile(file), "two");
});

Deno.test("atomicWrite() refuses a dangling symlink instead of creating its target or replacing the link", async () => {
  await using t = await tempDir("atomic-write-");
  const link = join(t.path, "tokens.json");
  await Deno.symlink(join(t.path, "missing", "tokens.json"), link);
  const err = await assertRejects(() => atomicWrite(link, "secret"));
  assert(isTalosOidcError(err, "ERR_IO"), String(err));
  assertEquals(
    err.message,
    `refusing to write "${link}": it is a symbolic link to "${
      join(t.path, "missing", "tokens.json")
    }", which does not exist`,
  );
  assert((await Deno.lstat(link)).isSymlink, "the link is still a link");
  assertEquals([...Deno.readDirSync(t.path)].map((e) => e.name), ["tokens.json"], "no temp file, no target");
});
