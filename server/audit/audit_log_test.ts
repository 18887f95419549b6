/** @module Tests for the hash-chained audit log: file mode, fields, chain continuity, tamper detection. */

import { join } from "node:path";
import { assert, assertEquals, assertMatch, assertNotMatch } from "../../tests/helpers/assert.ts";
import { GENESIS_HASH, openAuditLog, verifyAuditChain } from "./audit_log.ts";
import { tempDir } from "../../tests/helpers/temp_dir.ts";

const at = new Date("2026-11-23T10:00:00Z");

Deno.test("openAuditLog() writes one JSON line per event with the original tool's field names", async () => {
  const lines: string[] = [];
  const log = await openAuditLog({ path: "-", stdout: (l) => lines.push(l), now: () => at });
  log.write({
    type: "cert_issued",
    subject: "alice",
    email: "alice@example.com",
    issuer: "https://idp",
    client_ip: "10.0.0.9",
    roles: ["os:admin"],
    cert_ttl: "5m0s",
    cert_expiry: "2026-11-23T10:05:00.000Z",
    cert_fingerprint: "ab",
    cert_serial: "01",
    "request.id": "r-1",
  });
  await log.close();
  assertEquals(lines.length, 1);
  assert(lines[0]!.endsWith("\n"));
  const rec = JSON.parse(lines[0]!);
  assertEquals(Object.keys(rec).slice(0, 6), [
    "timestamp",
    "type",
    "severity",
    "event.category",
    "event.outcome",
    "event.action",
  ]);
  assertEquals(rec.timestamp, at.toISOString());
  assertEquals(rec["event.outcome"], "success");
  assertEquals(rec.prev_hash, GENESIS_HASH);
  assertMatch(rec.hash, /^[0-9a-f]{64}$/);
  assertEquals(rec.cert_serial, "01");
  assertEquals(rec["request.id"], "r-1");
});

Deno.test("openAuditLog() never writes a token that slipped into an error field", async () => {
  const lines: string[] = [];
  const log = await openAuditLog({ path: "-", stdout: (l) => lines.push(l) });
  const jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl";
  log.write({ type: "auth_failure", error: `bad token ${jwt}`, reason: "bad_signature" });
  await log.close();
  assertNotMatch(lines.join(""), /eyJhbGci/);
  assertEquals(verifyAuditChain(lines.join("")).ok, true);
});

Deno.test("openAuditLog() creates the file 0600 and continues the chain after a restart", async () => {
  await using dir = await tempDir("audit-test-");
  const path = join(dir.path, "sub", "audit.log");
  const first = await openAuditLog({ path });
  first.write({ type: "auth_success", subject: "alice" });
  first.write({ type: "cert_issued", subject: "alice" });
  const head = first.lastHash();
  await first.close();
  assertEquals((await Deno.stat(path)).mode! & 0o777, 0o600);

  const second = await openAuditLog({ path });
  second.write({ type: "auth_failure", reason: "expired" });
  await second.close();
  const text = await Deno.readTextFile(path);
  assertEquals(JSON.parse(text.trim().split("\n")[2]!).prev_hash, head);
  const report = verifyAuditChain(text, { startHash: GENESIS_HASH });
  assertEquals(report, { ok: true, lines: 3, firstPrevHash: GENESIS_HASH, lastHash: second.lastHash(), problems: [] });
});

Deno.test("openAuditLog() starts a fresh file from the last hash of the rotated one", async () => {
  await using dir = await tempDir("audit-test-");
  const path = join(dir.path, "audit.log");
  const first = await openAuditLog({ path });
  first.write({ type: "auth_success", subject: "bob" });
  const head = first.lastHash();
  await first.close();
  await Deno.rename(path, `${path}.1`);

  const second = await openAuditLog({ path });
  second.write({ type: "cert_issued", subject: "bob" });
  await second.close();
  const text = await Deno.readTextFile(path);
  assertEquals(verifyAuditChain(text, { startHash: head }).ok, true);
});

Deno.test("openAuditLog() follows a file rotated while running and keeps the chain", async () => {
  await using dir = await tempDir("audit-test-");
  const path = join(dir.path, "audit.log");
  const log = await openAuditLog({ path });
  log.write({ type: "auth_success", subject: "carol" });
  const head = log.lastHash();
  await Deno.rename(path, `${path}.1`);
  await log.reopen();
  log.write({ type: "cert_issued", subject: "carol" });
  await log.close();
  const old = await Deno.readTextFile(`${path}.1`);
  const fresh = await Deno.readTextFile(path);
  assertEquals(verifyAuditChain(old).lastHash, head);
  assertEquals(verifyAuditChain(fresh, { startHash: head }).ok, true);
});

Deno.test("openAuditLog() tightens an existing audit file that others can read", async () => {
  await using dir = await tempDir("audit-test-");
  const path = join(dir.path, "audit.log");
  await Deno.writeTextFile(path, "", { mode: 0o644 });
  await Deno.chmod(path, 0o644);
  const log = await openAuditLog({ path });
  await log.close();
  assertEquals((await Deno.stat(path)).mode! & 0o777, 0o600);
});

Deno.test("verifyAuditChain() finds an edited line and a removed line", async () => {
  const lines: string[] = [];
  const log = await openAuditLog({ path: "-", stdout: (t) => lines.push(...t.trimEnd().split("\n")) });
  for (const subject of ["a", "b", "c", "d"]) log.write({ type: "auth_success", subject });
  await log.close();
  assertEquals(verifyAuditChain(lines.join("\n")).ok, true);

  const edited = [...lines];
  edited[1] = edited[1]!.replace('"subject":"b"', '"subject":"mallory"');
  assertEquals(verifyAuditChain(edited.join("\n")).problems, [
    { line: 2, message: "hash does not match the line's content (the line was edited)" },
  ]);

  const removed = [lines[0], lines[2], lines[3]].join("\n");
  const report = verifyAuditChain(removed);
  assertEquals(report.problems.map((p) => p.line), [2]);
  assertMatch(report.problems[0]!.message, /a line was removed/);
});

Deno.test("openAuditLog() delivers events to subscribers with a timestamp once they are written", async () => {
  const seen: string[] = [];
  const log = await openAuditLog({ path: "-", stdout: () => {}, now: () => at });
  const off = log.subscribe((e) => seen.push(`${e.type}@${e.timestamp}`));
  log.write({ type: "rbac_denied", subject: "mallory" });
  assertEquals(seen, [], "delivered once written, not before");
  await log.committed();
  off();
  log.write({ type: "auth_success" });
  await log.close();
  assertEquals(seen, [`rbac_denied@${at.toISOString()}`]);
});
