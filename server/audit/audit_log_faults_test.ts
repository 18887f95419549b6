/** @module The audit log under faults: a disk that runs full (real tmpfs) and a torn last line left by a crash. */

import { join } from "node:path";
import { assert, assertEquals, assertMatch, assertRejects } from "../../tests/helpers/assert.ts";
import { mountTmpfs } from "../../tests/helpers/tmpfs.ts";
import { isTalosOidcError } from "../../shared/errors.ts";
import { GENESIS_HASH, openAuditLog, verifyAuditChain } from "./audit_log.ts";

const tick = () => new Promise((r) => setTimeout(r, 5));

Deno.test("a full disk: committed() rejects ERR_AUDIT, the half-written batch is cut off, a gap line follows recovery", async () => {
  await using fs = await mountTmpfs(16 * 1024);
  const path = join(fs.path, "audit.log");
  const log = await openAuditLog({ path, retryMs: 2 });
  // Up to less than a line short of a page: once every other page is taken, the next batch fits only in part, and
  // no line (the gap line included) fits in the rest of the page until space is freed.
  let whole = 0;
  for (let i = 0; whole % 4096 < 3900; i++) {
    log.write({ type: "auth_success", subject: `before-${i}` });
    await log.committed();
    whole = (await Deno.stat(path)).size;
  }
  await fs.fill();
  for (let i = 0; i < 40; i++) log.write({ type: "cert_issued", subject: `s${i}`, cert_serial: "ab".repeat(16) });
  const err = await assertRejects(() => log.committed());
  assert(isTalosOidcError(err, "ERR_AUDIT"), String(err));
  assertEquals(err.status, 503);
  assertMatch(err.message, /No space left on device/);
  const health = log.health();
  assert(!health.writable && health.notRecorded === 40, JSON.stringify(health));
  assertEquals((await Deno.stat(path)).size, whole, "the part of the batch that reached the disk was cut off");
  log.write({ type: "cert_error", subject: "refused" }); // counted while the disk is full, not written
  await assertRejects(() => log.committed(), (e) => isTalosOidcError(e, "ERR_AUDIT"));

  await fs.free();
  for (let i = 0; i < 100 && !log.health().writable; i++) await tick();
  assertEquals(log.health(), { writable: true });
  log.write({ type: "auth_success", subject: "after" });
  await log.committed();
  await log.close();
  const text = await Deno.readTextFile(path);
  const lines = text.trim().split("\n").map((l) => JSON.parse(l));
  assertEquals(lines.slice(-3).map((l) => l.type), ["auth_success", "audit_gap", "auth_success"]);
  const gap = lines.at(-2);
  assertEquals([gap.count, gap.counts], [41, { cert_issued: 40, cert_error: 1 }]);
  assertMatch(gap.error, /^41 events were not recorded from .* on: No space left on device/);
  assertEquals(verifyAuditChain(text, { startHash: GENESIS_HASH }).ok, true);
});

Deno.test("a torn last line is moved aside at open and the chain continues from the last whole line", async () => {
  const dir = await Deno.makeTempDir({ prefix: "audit-torn-" });
  try {
    const path = join(dir, "audit.log");
    const first = await openAuditLog({ path });
    first.write({ type: "auth_success", subject: "a" });
    first.write({ type: "cert_issued", subject: "a" });
    const head = first.lastHash();
    await first.close();
    const torn = '{"timestamp":"2026-12-06T01:00:00.000Z","type":"cert_iss';
    await Deno.writeTextFile(path, torn, { append: true }); // what a process killed mid-write leaves

    const logs: string[] = [];
    const second = await openAuditLog({ path, logger: { ...quiet, error: (m) => void logs.push(m) } });
    second.write({ type: "auth_success", subject: "b" });
    await second.close();
    const text = await Deno.readTextFile(path);
    const report = verifyAuditChain(text, { startHash: GENESIS_HASH });
    assertEquals([report.ok, report.lines], [true, 4], JSON.stringify(report.problems));
    const recs = text.trim().split("\n").map((l) => JSON.parse(l));
    assertEquals(recs.map((r) => r.type), ["auth_success", "cert_issued", "audit_repaired", "auth_success"]);
    assertEquals([recs[2].prev_hash, recs[2].reason], [head, "torn_last_line"]);
    const kept = [...Deno.readDirSync(dir)].map((e) => e.name).filter((n) => n.startsWith("audit.log.torn-"));
    assertEquals(kept.length, 1);
    assertEquals(await Deno.readTextFile(join(dir, kept[0]!)), torn);
    assertEquals((await Deno.stat(join(dir, kept[0]!))).mode! & 0o777, 0o600);
    assertMatch(recs[2].error, new RegExp(`its ${torn.length} bytes were moved to .*${kept[0]}`));
    assertMatch(logs.join("\n"), /torn line/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a last line of zeros (a crash before the data reached the disk) is moved aside too", async () => {
  const dir = await Deno.makeTempDir({ prefix: "audit-torn-" });
  try {
    const path = join(dir, "audit.log");
    const first = await openAuditLog({ path });
    first.write({ type: "auth_success", subject: "a" });
    await first.close();
    await Deno.writeFile(path, new Uint8Array([...new Uint8Array(300), 0x0a]), { append: true });
    const second = await openAuditLog({ path });
    second.write({ type: "auth_success", subject: "b" });
    await second.close();
    const report = verifyAuditChain(await Deno.readTextFile(path), { startHash: GENESIS_HASH });
    assertEquals([report.ok, report.lines], [true, 3]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

const quiet = { debug() {}, info() {}, warn() {}, error() {} };
