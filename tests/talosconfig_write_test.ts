/** @module updateTalosconfig on real files: modes, symlinks, broken YAML, re-read inside the lock. */

import { join } from "node:path";
import { assert, assertEquals, assertMatch, assertRejects } from "./helpers/assert.ts";
import { isTalosOidcError } from "../shared/errors.ts";
import { deleteContext, updateTalosconfig, writeContext } from "../client/talosconfig/write.ts";
import { getContext, readTalosconfig } from "../client/talosconfig/read.ts";
import { mintTestCredentials } from "./helpers/client_certs.ts";
import { tempDir } from "./helpers/temp_dir.ts";

const EXISTING = `# managed by hand
context: prod
contexts:
    prod:
        endpoints:
            - 10.0.0.1
        auth:
            siderov1:
                identity: alice@example.com
`;

Deno.test("writeContext() creates ~/.talos 0700 and the file 0600", async () => {
  await using t = await tempDir("tcw-");
  const path = join(t.path, ".talos", "config");
  const creds = { endpoints: ["10.5.0.2"], ...(await mintTestCredentials()) };
  const r = await writeContext(path, "oidc", creds);
  assertEquals([r.changed, r.existed], [true, false]);
  assertEquals((await Deno.stat(join(t.path, ".talos"))).mode! & 0o777, 0o700);
  assertEquals((await Deno.stat(path)).mode! & 0o777, 0o600);
  const back = await readTalosconfig(path);
  assertEquals(getContext(back.doc, "oidc")?.nodes, ["10.5.0.2"]);
  await Deno.stat(path + ".lock").then(() => assert(false, "lock left behind"), () => {});
});

Deno.test("writeContext() makes a looser existing file 0600 and keeps other contexts", async () => {
  await using t = await tempDir("tcw-");
  const path = join(t.path, "config");
  await Deno.writeTextFile(path, EXISTING, { mode: 0o644 });
  await Deno.chmod(path, 0o644);
  await writeContext(path, "oidc", { endpoints: ["10.5.0.2"], ...(await mintTestCredentials()) });
  assertEquals((await Deno.stat(path)).mode! & 0o777, 0o600);
  const text = await Deno.readTextFile(path);
  assert(text.startsWith("# managed by hand\ncontext: oidc\n" + EXISTING.split("\n").slice(2).join("\n")));
});

Deno.test("writeContext() through a symlink replaces the target and keeps the link", async () => {
  await using t = await tempDir("tcw-");
  await Deno.mkdir(join(t.path, "dotfiles"));
  await Deno.mkdir(join(t.path, ".talos"));
  const target = join(t.path, "dotfiles", "talosconfig");
  const link = join(t.path, ".talos", "config");
  await Deno.writeTextFile(target, EXISTING, { mode: 0o600 });
  await Deno.symlink("../dotfiles/talosconfig", link);
  await writeContext(link, "oidc", { endpoints: ["10.5.0.2"], ...(await mintTestCredentials()) });
  assert((await Deno.lstat(link)).isSymlink, "the symlink was replaced by a file");
  assertEquals(await Deno.readLink(link), "../dotfiles/talosconfig");
  assertMatch(await Deno.readTextFile(target), /context: oidc/);
  assertEquals((await Deno.stat(target)).mode! & 0o777, 0o600);
});

Deno.test("writeContext() refuses a dangling symlink, naming it, and creates nothing where it points", async () => {
  await using t = await tempDir("tcw-");
  await Deno.mkdir(join(t.path, ".talos"));
  const link = join(t.path, ".talos", "config");
  const target = join(t.path, "elsewhere", "talosconfig");
  await Deno.symlink("../elsewhere/talosconfig", link);
  const err = await assertRejects(async () =>
    writeContext(link, "oidc", { endpoints: ["10.5.0.2"], ...(await mintTestCredentials()) })
  );
  assert(isTalosOidcError(err, "ERR_TALOSCONFIG"), String(err));
  assertEquals(err.message, `refusing to write "${link}": it is a symbolic link to "${target}", which does not exist`);
  assertMatch(err.hint ?? "", /remove the link/);
  assertEquals(await Deno.stat(join(t.path, "elsewhere")).then(() => true, () => false), false, "nothing created");
  assertEquals(await Deno.readLink(link), "../elsewhere/talosconfig", "the link is untouched");
  assertEquals((await deleteContext(link, "oidc")).removed, false, "logout through it has nothing to remove");
});

Deno.test("a broken talosconfig is never overwritten and the error names the path and line", async () => {
  await using t = await tempDir("tcw-");
  const path = join(t.path, "config");
  const broken = "context: prod\ncontexts:\n  prod:\n    endpoints: [10.0.0.1\n    ca: x\n";
  await Deno.writeTextFile(path, broken, { mode: 0o600 });
  const before = await Deno.stat(path);
  const err = await assertRejects(
    async () => writeContext(path, "oidc", { endpoints: ["10.5.0.2"], ...(await mintTestCredentials()) }),
    (e) => isTalosOidcError(e, "ERR_TALOSCONFIG"),
  ) as Error;
  assertMatch(err.message, new RegExp(`parsing talosconfig "${path}" at line \\d+`));
  assertEquals(await Deno.readTextFile(path), broken);
  assertEquals((await Deno.stat(path)).mtime, before.mtime);
  await assertRejects(() => deleteContext(path, "prod"), (e) => isTalosOidcError(e, "ERR_TALOSCONFIG"));
  assertEquals(await Deno.readTextFile(path), broken);
});

Deno.test("updateTalosconfig() refuses to write a mutation that is not valid YAML", async () => {
  await using t = await tempDir("tcw-");
  const path = join(t.path, "config");
  await Deno.writeTextFile(path, EXISTING, { mode: 0o600 });
  await assertRejects(
    () => updateTalosconfig(path, (text) => text + "  bad: [\n"),
    (e) => isTalosOidcError(e, "ERR_TALOSCONFIG"),
  );
  assertEquals(await Deno.readTextFile(path), EXISTING);
});

Deno.test("deleteContext() removes the context, clears the current one and leaves a missing file missing", async () => {
  await using t = await tempDir("tcw-");
  const path = join(t.path, "config");
  assertEquals(await deleteContext(path, "oidc"), { path, removed: false, wasCurrent: false });
  await Deno.stat(path).then(() => assert(false, "file created"), () => {});
  await Deno.writeTextFile(path, EXISTING, { mode: 0o600 });
  await writeContext(path, "oidc", { endpoints: ["10.5.0.2"], ...(await mintTestCredentials()) });
  assertEquals(await deleteContext(path, "oidc"), { path, removed: true, wasCurrent: true });
  assertEquals(await Deno.readTextFile(path), EXISTING.replace("context: prod", 'context: ""'));
});
