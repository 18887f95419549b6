/** @module The soak's section of bench/REPORT.md ("Reliability"), kept like every bench module's (tests/bench/run.ts). */

import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { renderReport, storedResults } from "../bench/run.ts";
import type { BenchRow, BenchSection } from "../bench/types.ts";
import type { SoakResult } from "./soak.ts";
import { invariants } from "./summary.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const FILE = "soak (deno task soak)";

const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;

export function reliabilitySections(r: SoakResult): BenchSection[] {
  const m = r.minutes.filter((x) => x.rssKiB > 0);
  const m2 = m.find((x) => x.minute === 2) ?? m[0]!, last = m.at(-1)!;
  const lastRestart = m.reduce((k, x) => (x.restarted ? x.minute : k), 0);
  const settled = m.find((x) => x.minute === lastRestart + 1);
  const during = r.faults.filter((f) => !f.skipped);
  const rows: BenchRow[] = [
    {
      name: `exchanges outside the injected faults that got no certificate (${r.options.rate}/s offered, open loop)`,
      value: r.errorsOutside.count,
      unit: "requests",
      baseline: "requests outside the faults",
      baselineValue: r.errorsOutside.total,
      note: r.errorsOutside.examples.join("; "),
    },
    {
      name: `p99 in ${r.quiet.label}`,
      value: round(r.quiet.p99, 2),
      unit: "ms",
      note: `${r.quiet.requests} answered requests, no fault going on; the baseline of the per-minute p99s`,
    },
    ...m.map((x) => ({
      name: `minute ${x.minute}: p99 / RSS / open fds`,
      value: round(x.p99Ms, 2),
      unit: "ms",
      baseline: "quiet p99",
      baselineValue: round(r.quiet.p99, 2),
      ratio: round(x.p99Ms / r.quiet.p99, 2),
      note: `RSS ${round(x.rssKiB / 1024)} MiB, ${x.fds} fds, ${x.requests} requests, ${x.failed} without a ` +
        `certificate${x.restarted ? ", server restarted (SIGKILL)" : ""}`,
    })),
    {
      name: `RSS growth from minute ${m2.minute} to minute ${last.minute}`,
      value: round(((last.rssKiB - m2.rssKiB) / m2.rssKiB) * 100),
      unit: "%",
      baseline: `RSS at minute ${m2.minute} (MiB)`,
      baselineValue: round(m2.rssKiB / 1024),
      note: "target < 10 %" + (m2.restarted ? `; minute ${m2.minute} is a process SIGKILLed and started again` : ""),
    },
    ...(settled && settled !== m2 && settled !== last
      ? [{
        name:
          `RSS growth from minute ${settled.minute} (the first whole minute after the last restart) to minute ${last.minute}`,
        value: round(((last.rssKiB - settled.rssKiB) / settled.rssKiB) * 100),
        unit: "%",
        baseline: `RSS at minute ${settled.minute} (MiB)`,
        baselineValue: round(settled.rssKiB / 1024),
        note: `largest in between: ${
          round(Math.max(...m.filter((x) => x.minute >= settled.minute).map((x) => x.rssKiB)) / 1024)
        } MiB`,
      }]
      : []),
    {
      name: `open fds at minute ${last.minute}`,
      value: last.fds,
      unit: "fds",
      baseline: `open fds at minute ${m2.minute}`,
      baselineValue: m2.fds,
    },
    ...during.map((f) => ({
      name: `${f.name}: time to recover after it was lifted`,
      value: f.recoveredAt === undefined ? -1 : round((f.recoveredAt - f.end) / 1000, 1),
      unit: "s",
      baseline: "fault duration",
      baselineValue: round((f.end - f.start) / 1000, 1),
      note: f.notes[0]?.replace("requests during the fault by outcome: ", "by outcome ") ?? "",
    })),
  ];
  const notes = [
    `${r.options.minutes} min at ${r.options.rate} exchanges/s offered (open loop, distinct RS256 tokens), the real ` +
    `IdP (oidc-provider) and a real \`serve\` (workers: auto) on loopback; load average at the end ${r.loadAverage} ` +
    "(the machine is shared: noisy neighbours show in the tails).",
    ...r.faults.map((f) =>
      `**${f.name}** — expected: ${f.expected}. Observed: ${f.skipped ? `skipped (${f.skipped})` : f.notes.join("; ")}.`
    ),
    `Invariants: ${
      invariants(r).map((i) => `${i.ok ? "ok" : "FAILED"}: ${i.what}${i.detail ? ` (${i.detail})` : ""}`).join("; ")
    }.`,
    `Audit lines by type: ${JSON.stringify(r.lost.lines)}; ${r.lost.verify}.`,
  ];
  return [{ title: "Reliability: soak under injected faults", rows, notes }];
}

/** Replace the soak's section of bench/REPORT.md, keeping every other module's as stored. */
export async function writeReliability(r: SoakResult): Promise<void> {
  const path = join(ROOT, "bench", "REPORT.md");
  const text = await Deno.readTextFile(path).catch(() => "");
  const stored = storedResults(text).filter((x) => x.file !== FILE);
  const commit = new TextDecoder().decode(
    (await new Deno.Command("git", { args: ["rev-parse", "--short", "HEAD"], cwd: ROOT }).output()).stdout,
  ).trim();
  stored.push({
    file: FILE,
    seconds: r.seconds,
    sections: reliabilitySections(r),
    ranAt: new Date().toISOString(),
    commit,
    loadAverage: r.loadAverage,
  });
  // The machine table stays the last full bench run's (its lines up to the first section).
  const info = [...text.matchAll(/^\| ([^|]+) \| ([^|]*) \|$/gm)].slice(0, 12).map((x) =>
    [x[1]!.trim(), x[2]!.trim()] as [string, string]
  )
    .filter(([k]) => k !== "" && k !== "---");
  const last = Number(/Last run: ([\d.]+) s\./.exec(text)?.[1] ?? 0);
  await Deno.writeTextFile(path, renderReport(info, stored.sort((a, b) => a.file.localeCompare(b.file)), last));
}
