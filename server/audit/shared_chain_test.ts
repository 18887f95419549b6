/**
 * @module Two logs on one shared chain, as the owner thread and a serve worker hold it (workers: N): one chain in the
 * file, a rotation seen by one thread moves the other, and a worker's failed write hands its records to the owner.
 */

import { join } from "node:path";
import { assert, assertEquals, assertRejects } from "../../tests/helpers/assert.ts";
import { mountTmpfs } from "../../tests/helpers/tmpfs.ts";
import { isTalosOidcError } from "../../shared/errors.ts";
import { GENESIS_HASH, openAuditLog, type TimedEvent, verifyAuditChain } from "./audit_log.ts";
import { SharedChain } from "./shared_chain.ts";

const types = (text: string) => text.trim().split("\n").map((l) => JSON.parse(l).subject);

Deno.test("an owner and a joined log write one chain in the order they append, across a rotation", async () => {
  const dir = await Deno.makeTempDir({ prefix: "audit-shared-" });
  try {
    const path = join(dir, "audit.log");
    const chain = new SharedChain();
    const owner = await openAuditLog({ path, chain });
    // A second SharedChain view on the same memory, as a worker builds it from the buffer it was handed.
    const worker = await openAuditLog({ path, chain: new SharedChain(chain.buffer), onWriteFailed: () => {} });
    owner.write({ type: "auth_success", subject: "o1" });
    worker.write({ type: "auth_success", subject: "w1" });
    await Promise.all([owner.committed(), worker.committed()]);
    worker.write({ type: "cert_issued", subject: "w2" });
    await worker.committed();
    owner.write({ type: "cert_issued", subject: "o2" });
    await owner.committed();
    const head = owner.lastHash();
    assertEquals(worker.lastHash(), head, "one head for both");

    await Deno.rename(path, `${path}.1`);
    await owner.reopen(); // the owner follows the rotation (SIGHUP or its own check); the worker must follow it
    worker.write({ type: "auth_success", subject: "w3" });
    await worker.committed();
    owner.write({ type: "auth_success", subject: "o3" });
    await owner.close();
    await worker.close();

    const old = await Deno.readTextFile(`${path}.1`), now = await Deno.readTextFile(path);
    assertEquals(types(old), ["o1", "w1", "w2", "o2"]);
    assertEquals(types(now), ["w3", "o3"], "the worker wrote to the new file, not the rotated one");
    assertEquals(verifyAuditChain(old, { startHash: GENESIS_HASH }).ok, true);
    assertEquals(verifyAuditChain(now, { startHash: head }).ok, true);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a joined log's failed write: cut back, chain unwritable, records to the owner, whose gap line closes it", async () => {
  await using fs = await mountTmpfs(16 * 1024);
  const path = join(fs.path, "audit.log");
  const chain = new SharedChain();
  const owner = await openAuditLog({ path, chain, retryMs: 2 });
  const handed: TimedEvent[] = [];
  const worker = await openAuditLog({
    path,
    chain: new SharedChain(chain.buffer),
    onWriteFailed: (records) => handed.push(...records),
  });
  let whole = 0;
  for (let i = 0; whole % 4096 < 3900; i++) {
    owner.write({ type: "auth_success", subject: `before-${i}` });
    await owner.committed();
    whole = (await Deno.stat(path)).size;
  }
  await fs.fill();
  for (let i = 0; i < 40; i++) worker.write({ type: "cert_issued", subject: `w${i}`, cert_serial: "ab".repeat(16) });
  const err = await assertRejects(() => worker.committed());
  assert(isTalosOidcError(err, "ERR_AUDIT"), String(err));
  assertEquals(handed.length, 40, "the owner gets every record of the failed batch");
  assertEquals(chain.healthy, false, "the other threads stop writing themselves");
  assertEquals((await Deno.stat(path)).size, whole, "the part of the batch that reached the disk was cut off");
  // The worker forwards them: the owner's own write fails too, and it counts them in its gap.
  for (const r of handed) owner.write(r);
  await assertRejects(() => owner.committed(), (e) => isTalosOidcError(e, "ERR_AUDIT"));

  await fs.free();
  for (let i = 0; i < 200 && !owner.health().writable; i++) await new Promise((r) => setTimeout(r, 5));
  assertEquals(chain.healthy, true, "writable again once the owner's gap line is written");
  worker.write({ type: "auth_success", subject: "after" });
  await worker.committed();
  await owner.close();
  await worker.close();
  const text = await Deno.readTextFile(path);
  const lines = text.trim().split("\n").map((l) => JSON.parse(l));
  assertEquals(lines.slice(-2).map((l) => l.type), ["audit_gap", "auth_success"]);
  assertEquals(lines.at(-2).counts, { cert_issued: 40 });
  assertEquals(verifyAuditChain(text, { startHash: GENESIS_HASH }).ok, true);
});
