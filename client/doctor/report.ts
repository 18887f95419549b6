/** @module Run doctor checks (a crashing check becomes a fail line) and format the verdict lines. */

import type { Logger } from "../../shared/log.ts";
import type { Check, CheckResult, DoctorInputs } from "./types.ts";

/** Run the checks in order; each one's results are kept in order. A crash's stack goes to `logger.debug` (-v). */
export async function runChecks(checks: Check[], inputs: DoctorInputs, logger?: Logger): Promise<CheckResult[]> {
  const out: CheckResult[] = [];
  for (const check of checks) {
    try {
      const r = await check(inputs);
      out.push(...(Array.isArray(r) ? r : [r]));
    } catch (err) {
      logger?.debug(`check ${check.name || "check"} crashed: ${err instanceof Error ? err.stack : String(err)}`);
      out.push({
        name: check.name || "check",
        verdict: "fail",
        message: `the check itself failed: ${err instanceof Error ? err.message : String(err)}`,
        hint: "run with -v and report this",
      });
    }
  }
  return out;
}

/** `ok    name           message` plus an indented `fix:` line for warnings and failures. */
export function formatResults(results: CheckResult[]): string {
  const width = Math.max(12, ...results.map((r) => r.name.length)) + 2;
  const lines: string[] = [];
  for (const r of results) {
    lines.push(`${r.verdict.padEnd(6)}${r.name.padEnd(width)}${r.message}`);
    if (r.hint && (r.verdict === "warn" || r.verdict === "fail")) lines.push(`${" ".repeat(6 + width)}fix: ${r.hint}`);
  }
  const n = summarize(results);
  const plural = (k: number, one: string, many: string) => `${k} ${k === 1 ? one : many}`;
  lines.push(
    "",
    `${n.ok} ok, ${plural(n.warn, "warning", "warnings")}, ${plural(n.fail, "failure", "failures")}, ${n.skip} skipped`,
  );
  return lines.join("\n") + "\n";
}

/** `doctor -o json`: every check as {name, verdict, message, fix} and the count per verdict. */
export function formatResultsJson(results: CheckResult[]): string {
  const checks = results.map((r) => ({
    name: r.name,
    verdict: r.verdict,
    message: r.message,
    fix: r.hint && (r.verdict === "warn" || r.verdict === "fail") ? r.hint : null,
  }));
  return JSON.stringify({ checks, summary: summarize(results) }, null, 2) + "\n";
}

function summarize(results: CheckResult[]): Record<CheckResult["verdict"], number> {
  const count = (v: CheckResult["verdict"]) => results.filter((r) => r.verdict === v).length;
  return { ok: count("ok"), warn: count("warn"), fail: count("fail"), skip: count("skip") };
}
