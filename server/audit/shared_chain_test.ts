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
import { openCertStore } from "../admin/cert_store.ts";

const types = (text: string) => text.trim().split("\n").map((l) => JSON.parse(l).subject);

/** The owner's log and a worker's on one file: a second SharedChain view on the same memory, as a worker builds it. */
async function ownerAndWorker(path: string) {
  const chain = new SharedChain();
  const owner = await openAuditLog({ path, chain });
  const worker = await openAuditLog({ path, chain: new SharedChain(chain.buffer), onWriteFailed: () => {} });
  return { owner, worker };
}

Deno.test("an owner and a joined log write one chain in the order they append, across a rotation", async () => {
  const dir = await Deno.makeTempDir({ prefix: "audit-shared-" });
  try {
    const path = join(dir, "audit.log");
    const { owner, worker } = await ownerAndWorker(path);
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
  // Those requests were refused: the worker tells the owner what it could not write, and the owner counts it in its
  // gap (not as lines: no certificate left for them), refusing from now until its gap line is written.
  owner.missed(handed.map((r) => r.type), "No space left on device (os error 28)");
  assertEquals(owner.health().writable, false);
  owner.write({ type: "auth_success", subject: "while-full" });
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
  assertEquals(lines.at(-2).counts, { cert_issued: 40, auth_success: 1 });
  assertEquals(lines.filter((l) => l.type === "cert_issued").length, 0, "no line for a refused certificate");
  assertEquals(verifyAuditChain(text, { startHash: GENESIS_HASH }).ok, true);
});

Deno.test("a thread that follows a rotation to a file rotated again moves the chain there; the other one follows", async () => {
  const dir = await Deno.makeTempDir({ prefix: "audit-shared-" });
  try {
    const path = join(dir, "audit.log");
    const { owner, worker } = await ownerAndWorker(path);
    owner.write({ type: "auth_success", subject: "o1" });
    await owner.committed();
    await Deno.rename(path, `${path}.1`);
    await owner.reopen(); // the owner moves to the second file; the worker has not written since
    await Deno.rename(path, `${path}.2`); // and that one is rotated away too before anyone writes
    worker.write({ type: "auth_success", subject: "w1" }); // the worker follows to the third file
    await worker.committed();
    owner.write({ type: "auth_success", subject: "o2" }); // the owner must follow it there, not write to the second
    await owner.close();
    await worker.close();
    assertEquals(types(await Deno.readTextFile(`${path}.1`)), ["o1"]);
    assertEquals(await Deno.readTextFile(`${path}.2`), "");
    const now = await Deno.readTextFile(path);
    assertEquals(types(now), ["w1", "o2"]);
    const head = JSON.parse((await Deno.readTextFile(`${path}.1`)).trim()).hash;
    assertEquals(verifyAuditChain(now, { startHash: head }).ok, true);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("three threads appending at once through one shared chain: one unbroken chain, every line and record", async () => {
  const dir = await Deno.makeTempDir({ prefix: "audit-threads-" });
  const workers: Worker[] = [];
  try {
    const path = join(dir, "audit.log"), certs = join(dir, "certs.jsonl");
    const chain = new SharedChain();
    const owner = await openAuditLog({ path, chain });
    const n = 1500;
    const done = ["a", "b"].map((name) => {
      const w = new Worker(new URL("../../tests/helpers/chain_writer_worker.ts", import.meta.url), { type: "module" });
      workers.push(w);
      const answer = new Promise<string>((resolve) => (w.onmessage = (e) => resolve(String(e.data))));
      w.postMessage({ path, certs, buffer: chain.buffer, n, name });
      return answer;
    });
    const history = await openCertStore({ path: certs, lock: chain });
    for (let i = 0; i < n; i++) { // this thread appends meanwhile, in batches of one
      owner.write({ type: "cert_issued", subject: `o-${i}`, cert_serial: `o-${i}` });
      history.append({ ...RECORD, serial: `o-${i}` });
      await owner.committed();
    }
    assertEquals(await Promise.all(done), ["done", "done"]);
    await owner.close();
    history.close();
    const text = await Deno.readTextFile(path);
    const report = verifyAuditChain(text, { startHash: GENESIS_HASH });
    assertEquals([report.ok, report.lines, report.problems.slice(0, 3)], [true, 3 * n, []]);
    const serials = (await Deno.readTextFile(certs)).trim().split("\n").map((l) => JSON.parse(l).serial);
    assertEquals(new Set(serials).size, 3 * n, "every certs.jsonl record whole and once");
  } finally {
    for (const w of workers) w.terminate();
    await Deno.remove(dir, { recursive: true });
  }
});

const RECORD = {
  subject: "s",
  email: "",
  issued_at: "2026-12-06T00:00:00.000Z",
  expires_at: "2026-12-06T00:05:00.000Z",
  client_ip: "",
  roles: ["os:reader"],
  ttl: "5m0s",
  fingerprint: "",
};
