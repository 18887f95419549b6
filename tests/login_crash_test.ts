/** @module A `login` killed while it writes the talosconfig leaves the old file byte-for-byte, and no lock in the way. */

import { join } from "node:path";
import { assert, assertEquals, assertStringIncludes } from "./helpers/assert.ts";
import { browserCommand, runCli, spawnCli } from "./helpers/cli.ts";
import { EXISTING_TALOSCONFIG, startLoginWorld } from "./login_e2e_fixture.ts";

/** The temp file shared/atomic_write.ts creates beside the target (`.<uuid>.tmp`), not a lock's temp file. */
const WRITER_TEMP = /^\.[0-9a-f-]{36}\.tmp$/;

Deno.test("a login SIGKILLed between writing its temp file and the rename leaves the old talosconfig intact and does not block the next", async () => {
  await using w = await startLoginWorld();
  const dir = join(w.home, ".talos");
  await Deno.mkdir(dir, { recursive: true });
  // A large unknown key keeps the temp file on disk long enough to catch the writer in the act.
  const original = EXISTING_TALOSCONFIG + `huge: ${"x".repeat(48 * 1024 * 1024)}\n`;
  await Deno.writeTextFile(w.talosconfig, original, { mode: 0o600 });

  const cli = spawnCli(w.args("--browser-command", browserCommand("walk")), { home: w.home });
  let sawTemp = false;
  for (let i = 0; i < 60_000 && !sawTemp; i++) {
    sawTemp = [...Deno.readDirSync(dir)].some((e) => WRITER_TEMP.test(e.name));
    if (!sawTemp) await new Promise((r) => setTimeout(r, 1));
  }
  cli.kill("SIGKILL");
  const r = await cli.result;
  assert(sawTemp, `login never started writing the talosconfig; stderr:\n${r.stderr}`);
  assert(!r.stderr.includes("Talosconfig updated"), "login finished before it was killed");
  assertEquals(await Deno.readTextFile(w.talosconfig), original);

  // The dead login's lock is still there; the next login breaks it (its owner is gone) instead of waiting for it.
  assert(await Deno.stat(`${w.talosconfig}.lock`).then(() => true, () => false), "the killed login held the lock");
  const next = await runCli(w.args("--browser-command", browserCommand("zero")), { home: w.home });
  assertEquals(next.code, 0, next.stderr);
  assertStringIncludes(next.stderr, "Talosconfig updated");
  assert((await Deno.readTextFile(w.talosconfig)).startsWith(EXISTING_TALOSCONFIG.split("\n")[0]!));
});
