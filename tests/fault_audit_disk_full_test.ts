/** @module Fault: the audit log's disk runs full (a real tmpfs) under a live server; /exchange fails closed. */

import { join } from "node:path";
import { auditCommand } from "../server/commands/audit_verify_cmd.ts";
import { assert, assertEquals, assertMatch } from "./helpers/assert.ts";
import { startTestIdp } from "./helpers/idp.ts";
import { runInProcess } from "./helpers/in_process.ts";
import { createTestApp, startTestServer } from "./helpers/server.ts";
import { createApp } from "../server/app.ts";
import type { AuditSink } from "../server/audit/types.ts";
import { mountTmpfs } from "./helpers/tmpfs.ts";

Deno.test("disk full: /exchange answers 503 ERR_AUDIT with no certificate, readyz says why, and it recovers alone", async () => {
  await using idp = await startTestIdp();
  await using fs = await mountTmpfs(32 * 1024);
  const log = join(fs.path, "audit.log");
  await using server = await startTestServer({ idp, config: { audit_log: log } });
  const token = await idp.mint({ email: "alice@example.com" });
  const ready = async () => {
    const res = await fetch(`${server.url}/readyz`, { client: server.client });
    return { status: res.status, json: await res.json() };
  };

  assertEquals((await server.exchange({ id_token: token })).status, 200);
  await fs.fill();
  // The audit file's last page still has room for a few lines: those exchanges succeed, with their lines.
  let slack = 0;
  while ((await server.exchange({ id_token: token })).status === 200) assert(++slack < 40, "the disk never ran full");
  let refused = 1;
  for (let i = 0; i < 30; i++) {
    const r = await server.exchange({ id_token: token });
    assertEquals([r.status, r.json.code, r.json.error], [503, "ERR_AUDIT", "audit log unavailable"]);
    assert(!("cert" in r.json) && !("key" in r.json), "no certificate without its audit line");
    assertEquals(r.headers.get("retry-after"), "30");
    refused++;
  }
  const down = await ready();
  assertEquals([down.status, down.json.status, down.json.checks.audit], [503, "not ready", false]);
  assertMatch(down.json.details.audit, /^cannot be written since .*: No space left on device/);
  assertEquals((await fetch(`${server.url}/healthz`, { client: server.client })).status, 200, "still alive");

  await fs.free();
  let waited = 0;
  while ((await ready()).status !== 200) {
    assert((waited += 25) < 5_000, "the audit log did not recover by itself");
    await new Promise((r) => setTimeout(r, 25));
  }
  const back = await server.exchange({ id_token: token });
  assertEquals(back.status, 200);
  await server.close();

  const lines = (await Deno.readTextFile(log)).trim().split("\n").map((l) => JSON.parse(l));
  const issued = lines.filter((l) => l.type === "cert_issued").length;
  assertEquals(issued, 2 + slack, "one line per certificate handed out, none for the refused");
  // Each refusal is in a gap line: as a cert_error when refused before its token was even verified, or as the
  // cert_issued line it failed to write (the first one; its auth_success went out a tick earlier). A gap line
  // small enough for the file's last page may close a gap early, and the next one opens another: add them up.
  const gaps = lines.filter((l) => l.type === "audit_gap");
  assert(gaps.length >= 1);
  const missed = (type: string) => gaps.reduce((n, g) => n + (g.counts[type] ?? 0), 0);
  assertEquals(missed("cert_error") + missed("cert_issued"), refused);
  assertEquals(gaps.reduce((n, g) => n + g.count, 0), refused + missed("auth_success"));
  const verified = await runInProcess(auditCommand, ["verify", log]);
  assertEquals([verified.code, verified.stdout.split("\n")[0]], [0, `OK: ${lines.length} lines, chain intact`]);
});

Deno.test("disk full with workers: 2: /readyz from every event loop says since when and why", async () => {
  await using idp = await startTestIdp();
  await using fs = await mountTmpfs(32 * 1024);
  await using server = await startTestServer({ idp, config: { audit_log: join(fs.path, "audit.log"), workers: 2 } });
  const token = await idp.mint({ email: "alice@example.com" });
  // A fresh connection per request: the kernel spreads them over both loops (SO_REUSEPORT).
  const fresh = async (path: string, init: RequestInit = {}) => {
    using client = Deno.createHttpClient({ caCerts: [server.tlsCaPem!], poolMaxIdlePerHost: 0 });
    const res = await fetch(`${server.url}${path}`, { ...init, client });
    return { status: res.status, json: await res.json() };
  };
  await fs.fill();
  const post = { method: "POST", body: JSON.stringify({ id_token: token }) };
  for (let i = 0; (await fresh("/exchange", post)).status !== 503; i++) assert(i < 40, "the disk never ran full");
  await new Promise((r) => setTimeout(r, 600)); // the owner's note reaches the workers within a 250 ms poll
  const details = new Set<string>();
  for (let i = 0; i < 16; i++) {
    const r = await fresh("/readyz");
    assertEquals(r.status, 503);
    details.add(r.json.details.audit);
  }
  for (const d of details) {
    assertMatch(d, /^cannot be written since \d{4}-\d\d-\d\dT[^:]+:\d\d:[\d.]+Z: .*No space left/);
  }
  await fs.free();
});

Deno.test("a loop whose audit health is a poll behind (a worker's) writes no cert_error for a request the log took", async () => {
  await using idp = await startTestIdp();
  await using t = await createTestApp({ idp });
  await t.deps.verifier.warmUp();
  // The log writes (the owner recovered), but this loop has not heard yet.
  const stale: AuditSink = {
    ...t.deps.audit,
    health: () => ({
      writable: false,
      since: new Date().toISOString(),
      error: "No space left on device",
      notRecorded: 1,
    }),
  };
  const app = createApp({ ...t.deps, audit: stale });
  const peer = { remoteAddr: { transport: "tcp" as const, hostname: "127.0.0.1", port: 50000 } };
  const res = await app.request("/exchange", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ id_token: await idp.mint({ email: "alice@example.com" }) }),
  }, peer);
  assertEquals(res.status, 200);
  await t.deps.audit.committed();
  assertEquals(t.audit.map((e) => e.type), ["auth_success", "cert_issued"], "no cert_error for an issued certificate");
});
