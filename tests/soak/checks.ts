/**
 * @module The soak's nothing-lost checks, after the server stopped: the audit chain verifies, every certificate a
 * client received has its cert_issued line (and its certs.jsonl record), every refusal is counted in the log.
 */

import { join } from "node:path";
import { auditCommand } from "../../server/commands/audit_verify_cmd.ts";
import { runInProcess } from "../helpers/in_process.ts";
import type { Outcome } from "./load.ts";
import type { Check } from "./world.ts";

export interface LostCheck {
  checks: Check[];
  /** Audit lines by type (auth_failure and audit_gap lines count what they stand for, see `standsFor`). */
  lines: Record<string, number>;
  verify: string;
}

async function auditVerify(path: string): Promise<{ code: number; out: string }> {
  const r = await runInProcess(auditCommand, ["verify", path]);
  return { code: r.code, out: r.output.split("\n")[0] ?? "" };
}

/**
 * `outcomes`: every request of the run. `killWindows`: [from, to] around each SIGKILL, where a certificate may be
 * issued and audited without its client ever seeing it. `lastStartAt`: when the last server process started.
 */
export async function nothingLost(
  auditLog: string,
  dataDir: string,
  outcomes: Outcome[],
  killWindows: [number, number][],
  lastStartAt: number,
): Promise<LostCheck> {
  const checks: Check[] = [];
  const verify = await auditVerify(auditLog);
  checks.push({ what: "audit verify passes", ok: verify.code === 0, detail: verify.out });
  const events = (await Deno.readTextFile(auditLog)).split("\n").filter(Boolean).map((l) => JSON.parse(l));
  const lines: Record<string, number> = {};
  for (const e of events) lines[e.type] = (lines[e.type] ?? 0) + 1;

  const issued = new Set(events.filter((e) => e.type === "cert_issued").map((e) => e.cert_serial as string));
  const handed = outcomes.filter((o) => o.status === 200);
  const missing = handed.filter((o) => !issued.has(o.serial!));
  checks.push({
    what: "every certificate handed out has its cert_issued line",
    ok: missing.length === 0,
    detail: `${handed.length} handed out, ${issued.size} cert_issued lines, ${missing.length} missing`,
  });
  const inKill = (o: Outcome) => killWindows.some(([a, b]) => o.at <= b && o.at + o.ms >= a);
  const unseen = issued.size - new Set(handed.map((o) => o.serial)).size;
  const unanswered = outcomes.filter((o) => o.status === 0 && inKill(o)).length;
  checks.push({
    what: "certificates audited but never received: only requests cut off by a kill",
    ok: unseen >= 0 && unseen <= unanswered,
    detail: `${unseen} audited but not received, ${unanswered} requests unanswered around the kills`,
  });

  // Refusals: auth_failure lines (and the counts of aggregated ones); a refusal while the log could not be written is
  // in the next audit_gap line's counts (as the cert_error it was, the cert_issued line that failed, or the refusal's
  // own line when the disk filled between the request's writability check and that line).
  const inLog: Record<string, number> = {};
  const add = (k: string, n: number) => void (n && (inLog[k] = (inLog[k] ?? 0) + n));
  for (const e of events) {
    // The first failure of a window is a line of its own; the window's summary line stands for `count` more.
    if (e.type === "auth_failure") add(`auth_failure ${e.reason}`, e.count ?? 1);
    if (e.type === "cert_error" || e.type === "rbac_denied" || e.type === "rate_limited") add(e.type, 1);
    if (e.type === "audit_gap") {
      for (const t of ["cert_error", "cert_issued", "auth_failure", "rbac_denied", "rate_limited"] as const) {
        add(`gap ${t}`, e.counts?.[t] ?? 0);
      }
    }
  }
  const answered: Record<string, number> = {};
  for (const o of outcomes) {
    if (o.status >= 400) answered[`${o.status} ${o.code}`] = (answered[`${o.status} ${o.code}`] ?? 0) + 1;
  }
  const sum = (r: Record<string, number>) => Object.values(r).reduce((a, b) => a + b, 0);
  checks.push({
    what: "every refusal is in the audit log (audit lines = certificates + refusals)",
    ok: sum(inLog) === sum(answered),
    detail: `${sum(answered)} refusals answered ${JSON.stringify(answered)}, ${sum(inLog)} in the log ${
      JSON.stringify(inLog)
    }`,
  });

  const history = (await Deno.readTextFile(join(dataDir, "certs.jsonl"))).split("\n").filter(Boolean);
  let bad = 0;
  const recorded = new Set<string>();
  for (const l of history) {
    try {
      recorded.add(JSON.parse(l).serial);
    } catch {
      bad++;
    }
  }
  const since = handed.filter((o) => o.at >= lastStartAt && !recorded.has(o.serial!));
  checks.push({
    what: "certs.jsonl parses, and holds every certificate handed out since the last start",
    ok: bad === 0 && since.length === 0,
    detail: `${history.length} records, ${bad} unparsable, ${since.length} missing`,
  });
  return { checks, lines, verify: verify.out };
}
