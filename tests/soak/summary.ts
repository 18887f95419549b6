/** @module A soak run's verdict: errors outside the faults, per-fault outcome tables, invariants; text and report rows. */

import type { Load, Outcome } from "./load.ts";
import { quantile } from "./load.ts";
import type { LostCheck } from "./checks.ts";
import type { MinuteSample } from "./minutes.ts";
import { byOutcome, during, type FaultRecord } from "./world.ts";
import type { SoakOptions, SoakResult } from "./soak.ts";

/** The spans a fault owns: its own, from start to recovery (or lifting), plus a second for requests in flight. */
export function faultSpans(f: FaultRecord): [number, number][] {
  return [[f.start, (f.recoveredAt ?? f.end) + 1_000], ...(f.windows ?? [])];
}

function inFault(o: Outcome, faults: FaultRecord[]): FaultRecord | undefined {
  return faults.find((f) => f.kinds?.includes(o.kind) || faultSpans(f).some(([a, b]) => o.at <= b && o.at + o.ms >= a));
}

export async function summarize(
  options: SoakOptions,
  faults: FaultRecord[],
  minutes: MinuteSample[],
  lost: LostCheck,
  load: Load,
): Promise<Omit<SoakResult, "seconds">> {
  const outside = load.outcomes.filter((o) => !inFault(o, faults));
  const bad = outside.filter((o) => o.status !== 200);
  // The quiet baseline: the tail after the last fault recovered (the server warm, nothing injected), when it is at
  // least 20 s long; else the first tenth of the run (without its first 2 s).
  const lastFault = faults.reduce((m, f) => Math.max(m, (f.recoveredAt ?? f.end) + 5_000), 0);
  const runEnd = load.outcomes.reduce((m, o) => Math.max(m, o.at), 0);
  const [qFrom, qTo, qLabel] = runEnd - lastFault >= 20_000
    ? [lastFault, runEnd, `the quiet tail (${((runEnd - lastFault) / 1000).toFixed(0)} s after the last recovery)`]
    : [2_000, options.minutes * 6_000, "the quiet first tenth of the run"];
  const quiet = load.outcomes.filter((o) => o.kind === "main" && o.at >= qFrom && o.at < qTo && o.status !== 0);
  for (const f of faults) {
    const spans = faultSpans(f);
    const mine = load.outcomes.filter((o) =>
      f.kinds?.includes(o.kind) || spans.some(([a, b]) => o.at <= b && o.at + o.ms >= a)
    );
    f.notes.unshift(`requests during the fault by outcome: ${JSON.stringify(byOutcome(mine))}`);
    const p99 = quantile(during(load.outcomes, f.start, f.end).filter((o) => o.status === 200).map((o) => o.ms), 0.99);
    f.notes.push(`p99 of the certificates issued during the fault: ${p99.toFixed(1)} ms`);
  }
  return {
    options,
    faults,
    minutes,
    lost,
    errorsOutside: {
      count: bad.length,
      total: outside.length,
      examples: bad.slice(0, 5).map((o) => `${(o.at / 1000).toFixed(1)} s: ${o.status} ${o.code ?? o.error ?? ""}`),
    },
    quiet: { p99: quantile(quiet.map((o) => o.ms), 0.99), requests: quiet.length, label: qLabel },
    skipped: load.skipped.length,
    loadAverage: (await Deno.readTextFile("/proc/loadavg").catch(() => "? ? ?")).split(" ").slice(0, 3).join(" "),
    workers: "auto",
  };
}

/** Every invariant of the run, fault checks included: what the smoke test asserts. */
export function invariants(r: SoakResult): { what: string; ok: boolean; detail: string }[] {
  const out = [
    {
      what: "0 errors outside the injected faults",
      ok: r.errorsOutside.count === 0,
      detail: `${r.errorsOutside.count} of ${r.errorsOutside.total}${
        r.errorsOutside.examples.length ? `: ${r.errorsOutside.examples.join("; ")}` : ""
      }`,
    },
    ...r.lost.checks,
  ];
  for (const f of r.faults) {
    if (f.skipped) continue;
    out.push({ what: `${f.name}: recovered`, ok: f.recoveredAt !== undefined, detail: "" });
    for (const c of f.checks) out.push({ ...c, what: `${f.name}: ${c.what}` });
  }
  return out;
}

/** The human summary printed at the end of `deno task soak`. */
export function summaryText(r: SoakResult): string {
  const lines = [
    `soak: ${r.options.minutes} min at ${r.options.rate}/s, ${
      r.seconds.toFixed(0)
    } s wall, load average ${r.loadAverage}`,
    `p99 in ${r.quiet.label}: ${r.quiet.p99.toFixed(1)} ms (${r.quiet.requests} requests); ${r.skipped} not sent ` +
    `(more than 512 outstanding: the server or this machine fell behind)`,
    "minute  requests  failed  p99 ms  RSS MiB  fds",
    ...r.minutes.map((m) =>
      `${String(m.minute).padStart(6)}  ${String(m.requests).padStart(8)}  ${String(m.failed).padStart(6)}  ${
        m.p99Ms.toFixed(1).padStart(6)
      }  ${(m.rssKiB / 1024).toFixed(1).padStart(7)}  ${String(m.fds).padStart(3)}${m.restarted ? "  (restarted)" : ""}`
    ),
  ];
  for (const f of r.faults) {
    lines.push(`fault: ${f.name}${f.skipped ? ` (skipped: ${f.skipped})` : ""}`);
    lines.push(`  expected: ${f.expected}`);
    if (!f.skipped) {
      const rec = f.recoveredAt === undefined ? "never" : `${((f.recoveredAt - f.end) / 1000).toFixed(1)} s`;
      lines.push(`  lasted ${((f.end - f.start) / 1000).toFixed(1)} s, recovered ${rec} after it was lifted`);
    }
    for (const n of f.notes) lines.push(`  ${n}`);
  }
  lines.push(`audit lines by type: ${JSON.stringify(r.lost.lines)}`);
  for (const i of invariants(r)) lines.push(`${i.ok ? "ok  " : "FAIL"} ${i.what}${i.detail ? ` (${i.detail})` : ""}`);
  return lines.join("\n");
}
