/** @module Tests for `talosctl-oidc audit verify` against a real hash-chained audit log and tampered copies. */

import { assertEquals, assertMatch, assertRejects } from "../../tests/helpers/assert.ts";
import { isTalosOidcError } from "../../shared/errors.ts";
import { runInProcess } from "../../tests/helpers/in_process.ts";
import { openAuditLog } from "../audit/audit_log.ts";
import { auditCommand } from "./audit_verify_cmd.ts";

async function realLog(dir: string): Promise<{ lines: string[]; head: string }> {
  const path = `${dir}/audit.log`;
  let t = Date.parse("2026-03-01T10:00:00Z");
  const log = await openAuditLog({ path, now: () => new Date(t += 1000) });
  for (const sub of ["alice", "bob", "carol", "dave", "erin"]) {
    log.write({ type: "cert_issued", subject: sub, roles: ["os:reader"], client_ip: "198.51.100.7" });
  }
  const head = log.lastHash();
  await log.close();
  return { lines: (await Deno.readTextFile(path)).split("\n").filter(Boolean), head };
}

async function verify(lines: string[] | string, ...flags: string[]) {
  const dir = await Deno.makeTempDir();
  try {
    const text = typeof lines === "string" ? lines : lines.map((l) => l + "\n").join("");
    await Deno.writeTextFile(`${dir}/copy.log`, text);
    const r = await runInProcess(auditCommand, ["verify", `${dir}/copy.log`, ...flags]);
    return { code: r.code, out: r.stdout };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function fixture() {
  const dir = await Deno.makeTempDir();
  try {
    return await realLog(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("audit verify accepts an intact log and prints the count", async () => {
  const { lines, head } = await fixture();
  const r = await verify(lines, "--expect-hash", head);
  assertEquals(r.code, 0);
  assertMatch(r.out, /^OK: 5 lines, chain intact\n/);
  assertMatch(r.out, new RegExp(`last hash: +${head}`));
});

Deno.test("audit verify names an edited line", async () => {
  const { lines } = await fixture();
  lines[2] = lines[2]!.replace('"os:reader"', '"os:admin"');
  const r = await verify(lines);
  assertEquals(r.code, 1);
  assertMatch(r.out, /^BROKEN: line 3: edited: /);
});

Deno.test("audit verify names the line after a deleted one", async () => {
  const { lines } = await fixture();
  lines.splice(1, 1);
  const r = await verify(lines);
  assertEquals(r.code, 1);
  assertMatch(r.out, /^BROKEN: line 2: deleted: the line it continues is not in the file/);
});

Deno.test("audit verify names reordered lines", async () => {
  const { lines } = await fixture();
  [lines[1], lines[2]] = [lines[2]!, lines[1]!];
  const r = await verify(lines);
  assertEquals(r.code, 1);
  assertMatch(r.out, /^BROKEN: line 2: reordered: it continues line 3, which comes after it/);
});

Deno.test("audit verify names a log cut off mid-line as truncated", async () => {
  const { lines } = await fixture();
  const r = await verify(lines.join("\n").slice(0, -20));
  assertEquals(r.code, 1);
  assertMatch(r.out, /^BROKEN: line 5: truncated: the last line is cut off/);
});

Deno.test("audit verify detects whole lines removed from the end with --expect-hash", async () => {
  const { lines, head } = await fixture();
  assertEquals((await verify(lines.slice(0, 3))).code, 0, "without an anchor a clean cut is invisible");
  const r = await verify(lines.slice(0, 3), "--expect-hash", head);
  assertEquals(r.code, 1);
  assertMatch(r.out, /^BROKEN: line 3: truncated: /);
});

Deno.test("audit verify detects lines removed from the start with --start-hash", async () => {
  const { lines } = await fixture();
  const anchor = JSON.parse(lines[0]!).prev_hash;
  assertEquals((await verify(lines, "--start-hash", anchor)).code, 0);
  const r = await verify(lines.slice(2), "--start-hash", anchor, "-o", "json");
  assertEquals(r.code, 1);
  assertEquals(JSON.parse(r.out).first.kind, "deleted");
});

Deno.test("audit verify flags a log whose first lines were dropped, without any flag", async () => {
  const { lines } = await fixture();
  const r = await verify(lines.slice(2));
  assertEquals(r.code, 1);
  assertMatch(r.out, /^BROKEN: line 1: deleted: the first line does not start from the genesis hash/);
  const from = JSON.parse(lines[1]!).hash;
  assertEquals((await verify(lines.slice(2), "--from-hash", from)).code, 0);
});

Deno.test("audit verify refuses bad usage with ERR_USAGE", async () => {
  await assertRejects(() => verify([], "--start-hash", "xyz"), (e) => isTalosOidcError(e, "ERR_USAGE"));
});
