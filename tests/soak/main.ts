/**
 * @module `deno task soak [--minutes N] [--rate R] [--report | --no-report]`: run the fault soak, print its summary,
 * and (runs of 10 minutes or more, or --report) write its Reliability section into bench/REPORT.md.
 */

import { parseArgs } from "node:util";
import { writeReliability } from "./report.ts";
import { runSoak } from "./soak.ts";
import { invariants, summaryText } from "./summary.ts";

const USAGE =
  "usage: deno task soak [--minutes N (default 10)] [--rate R exchanges/s (default 500)] [--report|--no-report] [--json FILE]";

if (import.meta.main) {
  let values;
  try {
    ({ values } = parseArgs({
      args: Deno.args,
      options: {
        minutes: { type: "string", default: "10" },
        rate: { type: "string", default: "500" },
        report: { type: "boolean" },
        json: { type: "string" },
        "no-report": { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch (err) {
    console.error(`error: ${err instanceof Error ? err.message : err}\n${USAGE}`);
    Deno.exit(2);
  }
  if (values.help) {
    console.log(USAGE);
    Deno.exit(0);
  }
  const minutes = Number(values.minutes), rate = Number(values.rate);
  if (!(minutes >= 1 && minutes <= 240) || !(rate >= 1 && rate <= 5_000)) {
    console.error(
      `error: --minutes must be 1..240 and --rate 1..5000 (got "${values.minutes}", "${values.rate}")\n${USAGE}`,
    );
    Deno.exit(2);
  }
  const result = await runSoak({ minutes, rate, log: (l) => console.error(`soak: ${l}`) });
  if (values.json) await Deno.writeTextFile(values.json, JSON.stringify(result));
  console.log(summaryText(result));
  const report = values.report ?? (!values["no-report"] && minutes >= 10);
  if (report) {
    await writeReliability(result);
    console.error("soak: wrote the Reliability section of bench/REPORT.md");
  } else console.error("soak: bench/REPORT.md left as it was (runs under 10 minutes are smoke runs; --report writes)");
  Deno.exit(invariants(result).every((i) => i.ok) ? 0 : 1);
}
