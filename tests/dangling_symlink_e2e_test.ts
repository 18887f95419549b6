/** @module `login` refuses to write through a dangling ~/.talos/config symlink: clear error, exit 1, nothing created. */

import { join } from "node:path";
import { assertEquals, assertStringIncludes } from "./helpers/assert.ts";
import { browserCommand, runCli } from "./helpers/cli.ts";
import { startLoginWorld } from "./login_e2e_fixture.ts";

Deno.test("login with ~/.talos/config linked to a missing file exits 1 naming the link, and creates nothing", async () => {
  await using w = await startLoginWorld();
  await Deno.mkdir(join(w.home, ".talos"));
  const target = join(w.home, "shared", "talosconfig");
  await Deno.symlink(target, w.talosconfig);
  const r = await runCli(w.args("--browser-command", browserCommand("walk")), { home: w.home });
  assertEquals(r.code, 1, r.stderr);
  assertStringIncludes(
    r.stderr,
    `error: refusing to write "${w.talosconfig}": it is a symbolic link to "${target}", which does not exist`,
  );
  assertStringIncludes(r.stderr, `hint: create "${target}" first if the link is meant to be there`);
  assertEquals(await Deno.stat(join(w.home, "shared")).then(() => true, () => false), false);
  assertEquals(await Deno.readLink(w.talosconfig), target);
});
