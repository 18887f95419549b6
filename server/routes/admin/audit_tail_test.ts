/** @module Tests for reading the audit log tail for the dashboard. */

import { assertEquals } from "../../../tests/helpers/assert.ts";
import { openAuditLog } from "../../audit/audit_log.ts";
import { readAuditTail } from "./audit_tail.ts";

Deno.test("readAuditTail() returns the newest lines first, bounded, from a real audit log", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/audit.log`;
    const log = await openAuditLog({ path, now: () => new Date("2026-03-01T10:00:00Z") });
    for (let i = 0; i < 30; i++) log.write({ type: "cert_issued", subject: `u${i}`, roles: ["os:reader"] });
    log.write({ type: "auth_failure", reason: "expired", client_ip: "203.0.113.1" });
    await log.close();
    const rows = (await readAuditTail(path, 5))!;
    assertEquals(rows.map((r) => r.subject ?? r.type), ["auth_failure", "u29", "u28", "u27", "u26"]);
    assertEquals([rows[0]!.reason, rows[0]!.client_ip, rows[1]!.roles], ["expired", "203.0.113.1", ["os:reader"]]);
    assertEquals((await readAuditTail(path, 100, 600))!.length < 31, true, "reads only the last maxBytes");
    assertEquals(await readAuditTail("-"), undefined);
    assertEquals(await readAuditTail(`${dir}/missing.log`), undefined);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
