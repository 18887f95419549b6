/** @module A writer SIGKILLed mid-write leaves the old talosconfig byte-for-byte; the next writer breaks its lock. */

import { join } from "node:path";
import { assert, assertEquals } from "./helpers/assert.ts";
import { writeContext } from "../client/talosconfig/write.ts";
import { contextNames, readTalosconfig } from "../client/talosconfig/read.ts";
import { mintTestCredentials } from "./helpers/client_certs.ts";

const ROOT = new URL("..", import.meta.url);
/** Writes a ~64 MB talosconfig (a huge unknown key), so the temp file exists long enough to be killed. */
const SLOW_WRITER = `
import { updateTalosconfig } from ${JSON.stringify(new URL("client/talosconfig/write.ts", ROOT).href)};
const [path] = Deno.args;
const blob = "x".repeat(64 * 1024 * 1024);
await updateTalosconfig(path, (text) => text + "huge: " + blob + "\\n");
`;

const ORIGINAL = "# precious\ncontext: prod\ncontexts:\n  prod:\n    endpoints: [10.0.0.1]\n    ca: Y2E=\n";

Deno.test("a writer killed between temp write and rename leaves the old file intact and its lock breakable", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tc-crash-" });
  try {
    const path = join(dir, "config");
    await Deno.writeTextFile(path, ORIGINAL, { mode: 0o600 });
    const script = join(dir, "slow.ts");
    await Deno.writeTextFile(script, SLOW_WRITER);
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--config", new URL("deno.json", ROOT).pathname, script, path],
      env: { RUST_BACKTRACE: "0", NO_COLOR: "1" },
      stdout: "null",
      stderr: "null",
    }).spawn();
    // Kill as soon as the temp file shows up: the rename has not happened yet.
    let sawTemp = false;
    for (let i = 0; i < 20_000 && !sawTemp; i++) {
      sawTemp = [...Deno.readDirSync(dir)].some((e) => /^\.[0-9a-f-]{36}\.tmp$/.test(e.name));
      if (!sawTemp) await new Promise((r) => setTimeout(r, 2));
    }
    child.kill("SIGKILL");
    const status = await child.status;
    assert(sawTemp, "the writer never created its temp file");
    assertEquals(status.signal, "SIGKILL");
    assertEquals(await Deno.readTextFile(path), ORIGINAL);
    const lock = await Deno.readTextFile(path + ".lock"); // left behind by the dead writer
    assert(lock.includes(`"pid":${child.pid}`));

    // The next writer sees the owner is dead, breaks the lock and writes normally.
    await writeContext(path, "oidc", { endpoints: ["10.5.0.2"], ...(await mintTestCredentials()) }, {
      lock: { timeoutMs: 5_000 },
    });
    const after = await readTalosconfig(path);
    assertEquals(contextNames(after.doc), ["prod", "oidc"]);
    assert(after.text.startsWith("# precious\ncontext: oidc\n"));
    await Deno.stat(path + ".lock").then(() => assert(false, "lock left behind"), () => {});
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
