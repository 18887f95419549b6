/** @module `audit verify --hmac-key-file`, the genesis rule, `--from-hash` and `audit head` on real logs. */

import { createHash } from "node:crypto";
import { assertEquals, assertMatch, assertRejects } from "../../tests/helpers/assert.ts";
import { isTalosOidcError } from "../../shared/errors.ts";
import { runInProcess } from "../../tests/helpers/in_process.ts";
import { canonicalJson, GENESIS_HASH, openAuditLog } from "../audit/audit_log.ts";
import { auditCommand } from "./audit_verify_cmd.ts";

const KEY = "9f2c4e6a8b0d1f3e5c7a9b1d3f5e7c9a1b3d5f7e9c1a3b5d7f9e1c3a5b7d9f1e";

async function run(dir: string, args: string[]): Promise<{ code: number; out: string; err: string }> {
  const r = await runInProcess(auditCommand, args.map((a) => a.replaceAll("$DIR", dir)));
  return { code: r.code, out: r.stdout, err: r.stderr };
}

/** A temp dir with a 0600 key file and a real keyed log of five lines. */
async function world(): Promise<{ dir: string; lines: string[]; head: string } & AsyncDisposable> {
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(`${dir}/key`, KEY + "\n", { mode: 0o600 });
  let t = Date.parse("2026-03-01T10:00:00Z");
  const log = await openAuditLog({
    path: `${dir}/audit.log`,
    now: () => new Date(t += 1000),
    hmacKeyFile: `${dir}/key`,
  });
  for (const sub of ["alice", "bob", "carol", "dave", "erin"]) log.write({ type: "cert_issued", subject: sub });
  const head = log.lastHash();
  await log.close();
  const lines = (await Deno.readTextFile(`${dir}/audit.log`)).split("\n").filter(Boolean);
  return { dir, lines, head, [Symbol.asyncDispose]: () => Deno.remove(dir, { recursive: true }) };
}

/** What an attacker without the key does: rewrite the chain with plain SHA-256 from the genesis hash. */
function rechain(lines: string[]): string {
  let prev = GENESIS_HASH;
  return lines.map((l) => {
    const { hash: _drop, ...rest } = JSON.parse(l);
    rest.prev_hash = prev;
    prev = createHash("sha256").update(prev).update(canonicalJson(rest)).digest("hex");
    return JSON.stringify({ ...rest, hash: prev }) + "\n";
  }).join("");
}

Deno.test("audit verify --hmac-key-file: a line deleted and the hashes recomputed without the key is caught", async () => {
  await using w = await world();
  assertEquals((await run(w.dir, ["verify", "$DIR/audit.log", "--hmac-key-file", "$DIR/key"])).code, 0);
  await Deno.writeTextFile(`${w.dir}/forged.log`, rechain(w.lines.filter((_, i) => i !== 2)));
  const plain = await run(w.dir, ["verify", "$DIR/forged.log"]);
  assertEquals(plain.code, 0, "without the key a rebuilt chain looks intact: that is why the key exists");
  const keyed = await run(w.dir, ["verify", "$DIR/forged.log", "--hmac-key-file", "$DIR/key"]);
  assertEquals(keyed.code, 1);
  assertMatch(keyed.out, /^BROKEN: line 1: edited: .*HMAC/);
});

Deno.test("audit verify without the key on a keyed log says to pass --hmac-key-file", async () => {
  await using w = await world();
  const r = await run(w.dir, ["verify", "$DIR/audit.log"]);
  assertEquals(r.code, 1);
  assertMatch(r.out, /--hmac-key-file/);
});

Deno.test("audit verify flags a first line that does not start from the genesis hash, unless --from-hash names it", async () => {
  await using w = await world();
  await Deno.writeTextFile(`${w.dir}/tail.log`, w.lines.slice(2).map((l) => l + "\n").join(""));
  const flagged = await run(w.dir, ["verify", "$DIR/tail.log", "--hmac-key-file", "$DIR/key"]);
  assertEquals(flagged.code, 1);
  assertMatch(flagged.out, /^BROKEN: line 1: deleted: .*genesis.*--from-hash/);
  const from = JSON.parse(w.lines[1]!).hash;
  const anchored = await run(w.dir, ["verify", "$DIR/tail.log", "--hmac-key-file", "$DIR/key", "--from-hash", from]);
  assertEquals(anchored.code, 0, anchored.out);
});

Deno.test("audit head prints the chain head: the hash of the last line", async () => {
  await using w = await world();
  const r = await run(w.dir, ["head", "$DIR/audit.log"]);
  assertEquals([r.code, r.out], [0, `${w.head}\n`]);
  const json = JSON.parse((await run(w.dir, ["head", "$DIR/audit.log", "-o", "json"])).out);
  assertEquals([json.hash, json.lines, json.timestamp], [w.head, 5, "2026-03-01T10:00:05.000Z"]);
});

Deno.test("audit verify refuses a key file others can read, or one shorter than 32 bytes", async () => {
  await using w = await world();
  await Deno.chmod(`${w.dir}/key`, 0o644);
  const loose = await assertRejects(() => run(w.dir, ["verify", "$DIR/audit.log", "--hmac-key-file", "$DIR/key"]));
  assertEquals(isTalosOidcError(loose, "ERR_CONFIG"), true);
  assertMatch((loose as Error).message, /readable by group or others/);
  await Deno.writeTextFile(`${w.dir}/short`, "too-short-key\n", { mode: 0o600 });
  const short = await assertRejects(() => run(w.dir, ["verify", "$DIR/audit.log", "--hmac-key-file", "$DIR/short"]));
  assertMatch((short as Error).message, /at least 32 bytes/);
});
