/** @module Go-style durations ("90s", "5m", "1h30m") parsed once into milliseconds. */

const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  "µs": 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/**
 * Parse a Go duration string (as `time.ParseDuration` does, without signs) into milliseconds.
 * A bare number is rejected: "5" is ambiguous, "5m" is not.
 * @throws {RangeError} with a message naming the input when it is not a duration.
 */
export function parseDuration(text: string): number {
  const s = text.trim();
  if (s === "0") return 0;
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/y;
  let total = 0;
  let pos = 0;
  while (pos < s.length) {
    re.lastIndex = pos;
    const m = re.exec(s);
    if (!m) throw new RangeError(`invalid duration "${text}": use a number with a unit, like 90s, 5m or 1h30m`);
    total += Number(m[1]) * UNIT_MS[m[2]!]!;
    pos = re.lastIndex;
  }
  if (s.length === 0) throw new RangeError(`invalid duration "${text}": empty`);
  return Math.round(total);
}

/** Format milliseconds the way Go prints durations ("5m0s", "1h0m0s", "30s"). */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  let s = Math.round(ms / 1000);
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  if (h > 0) return `${h}h${m}m${s}s`;
  if (m > 0) return `${m}m${s}s`;
  return `${s}s`;
}
