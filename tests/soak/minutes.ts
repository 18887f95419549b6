/** @module Per-minute figures of a soak: requests, p99 (answered main-kind requests), server RSS and open fds. */

import { quantile } from "./load.ts";
import type { SoakWorld } from "./world.ts";

export interface MinuteSample {
  minute: number;
  requests: number;
  /** Requests that got no certificate (any reason, faults included). */
  failed: number;
  p99Ms: number;
  /** Resident memory and open fds of the server process at the minute's last sample. */
  rssKiB: number;
  fds: number;
  /** The server process was (re)started during this minute. */
  restarted: boolean;
}

/** Sample the server every second; stop() returns one row per started minute. */
export function sampleMinutes(w: SoakWorld): { stop(): Promise<MinuteSample[]> } {
  const samples: { at: number; rssKiB: number; fds: number; pid: number }[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const pid = w.server.pid();
      const s = await w.server.sample();
      if (s.rssKiB > 0) samples.push({ at: w.t(), pid, ...s });
      await new Promise((r) => setTimeout(r, 1_000));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      const rows: MinuteSample[] = [];
      const outcomes = w.load.outcomes;
      const last = outcomes.reduce((m, o) => Math.max(m, o.at), 0); // (a spread of 300,000 overflows the stack)
      for (let m = 0; m * 60_000 <= last; m++) {
        const inside = outcomes.filter((o) => o.at >= m * 60_000 && o.at < (m + 1) * 60_000);
        const answered = inside.filter((o) => o.kind === "main" && o.status !== 0).map((o) => o.ms);
        const ss = samples.filter((s) => s.at >= m * 60_000 && s.at < (m + 1) * 60_000);
        const end = ss.at(-1);
        const before = samples.filter((s) => s.at < m * 60_000).at(-1);
        rows.push({
          minute: m + 1,
          requests: inside.length,
          failed: inside.filter((o) => o.status !== 200).length,
          p99Ms: quantile(answered, 0.99),
          rssKiB: end?.rssKiB ?? 0,
          fds: end?.fds ?? 0,
          restarted: ss.some((s, i) => s.pid !== (i === 0 ? before?.pid ?? s.pid : ss[i - 1]!.pid)),
        });
      }
      return rows;
    },
  };
}
