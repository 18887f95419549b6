/** @module 20 separate processes write 20 contexts into one talosconfig at once: none is lost, the file stays valid. */

import { join } from "node:path";
import { assert, assertEquals } from "./helpers/assert.ts";
import { contextNames, currentContext, getContext, readTalosconfig } from "../client/talosconfig/read.ts";
import { encodePem } from "../client/talosconfig/merge.ts";
import { mintTestCredentials } from "./helpers/client_certs.ts";

const ROOT = new URL("..", import.meta.url);
const WRITER = `
import { writeContext } from ${JSON.stringify(new URL("client/talosconfig/write.ts", ROOT).href)};
const [path, name, credsFile] = Deno.args;
const creds = JSON.parse(await Deno.readTextFile(credsFile));
await writeContext(path, name, { ...creds, endpoints: ["10.0.0." + name.slice(4)] }, { lock: { timeoutMs: 60000 } });
`;

const SEED = `# shared talosconfig
context: prod
contexts:
  prod:
    endpoints:
      - 10.9.9.9
    proxy-url: http://proxy:3128
top-level-unknown: keep me
`;

Deno.test("20 concurrent writer processes leave a valid talosconfig holding all 20 contexts", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tc-conc-" });
  try {
    const path = join(dir, "config");
    await Deno.writeTextFile(path, SEED, { mode: 0o600 });
    const script = join(dir, "writer.ts");
    await Deno.writeTextFile(script, WRITER);
    const creds = await mintTestCredentials();
    const credsFile = join(dir, "creds.json");
    await Deno.writeTextFile(credsFile, JSON.stringify(creds));
    const names = Array.from({ length: 20 }, (_, i) => `ctx-${i + 1}`);
    const results = await Promise.all(names.map((name) =>
      new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", "--config", new URL("deno.json", ROOT).pathname, script, path, name, credsFile],
        env: { RUST_BACKTRACE: "0", NO_COLOR: "1" },
        stdout: "piped",
        stderr: "piped",
      }).output()
    ));
    for (const [i, r] of results.entries()) {
      assertEquals(r.code, 0, `${names[i]}: ${new TextDecoder().decode(r.stderr)}`);
    }
    const loaded = await readTalosconfig(path);
    assertEquals(contextNames(loaded.doc).sort(), ["prod", ...names].sort());
    for (const name of names) {
      const c = getContext(loaded.doc, name)!;
      assertEquals(c.endpoints, [`10.0.0.${name.slice(4)}`]);
      assertEquals(c.crt, encodePem(creds.crt, "crt"));
    }
    assert(names.includes(currentContext(loaded.doc)));
    assert(loaded.text.startsWith("# shared talosconfig\n"));
    assert(
      loaded.text.includes("    proxy-url: http://proxy:3128\n") && loaded.text.includes("top-level-unknown: keep me"),
    );
    assertEquals((await Deno.stat(path)).mode! & 0o777, 0o600);
    const leftovers = [...Deno.readDirSync(dir)].map((e) => e.name).filter((n) =>
      n.endsWith(".tmp") || n.endsWith(".lock")
    );
    assertEquals(leftovers, []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
