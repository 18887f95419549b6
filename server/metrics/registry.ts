/** @module A tiny Prometheus registry (counters, gauges, histograms) in text exposition format 0.0.4. */

export type Labels = Readonly<Record<string, string>>;

/**
 * One family's state as plain data: what a worker thread sends the owner at scrape time, and what render() prints.
 * Counters and histograms of several snapshots add up (renderMerged); gauges are taken from the first one.
 */
export type FamilySnapshot =
  | { name: string; help: string; type: "counter"; labelNames: readonly string[]; series: CounterSeries[] }
  | { name: string; help: string; type: "gauge"; value: number }
  | {
    name: string;
    help: string;
    type: "histogram";
    labelNames: readonly string[];
    bounds: number[];
    series: HistogramSeries[];
  };

interface CounterSeries {
  values: string[];
  n: number;
}
interface HistogramSeries {
  values: string[];
  counts: number[];
  sum: number;
  count: number;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Escape a label value: backslash, double quote and newline (exposition format). */
function escapeLabelValue(v: string): string {
  return v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

function labelText(names: readonly string[], values: readonly string[], extra = ""): string {
  const parts = names.map((n, i) => `${n}="${escapeLabelValue(values[i] ?? "")}"`);
  if (extra) parts.push(extra);
  return parts.length ? `{${parts.join(",")}}` : "";
}

function formatNumber(v: number): string {
  if (v === Infinity) return "+Inf";
  if (v === -Infinity) return "-Inf";
  return Number.isNaN(v) ? "NaN" : String(v);
}

export interface Counter {
  inc(labels?: Labels, by?: number): void;
  get(labels?: Labels): number;
}
export interface Gauge {
  set(value: number, labels?: Labels): void;
}
export interface Histogram {
  observe(value: number, labels?: Labels): void;
}

/** Holds metric families in registration order and renders them. */
export class Registry {
  readonly #families: (() => FamilySnapshot)[] = [];
  readonly #names = new Set<string>();

  #register(name: string, labelNames: readonly string[], snapshot: () => FamilySnapshot): void {
    if (!NAME.test(name)) throw new RangeError(`metric name "${name}" is invalid`);
    if (this.#names.has(name)) throw new RangeError(`metric "${name}" registered twice`);
    for (const l of labelNames) if (!LABEL.test(l) || l === "le") throw new RangeError(`label "${l}" is invalid`);
    this.#names.add(name);
    this.#families.push(snapshot);
  }

  /** A monotonically increasing counter (name should end in `_total`). */
  counter(name: string, help: string, labelNames: readonly string[] = []): Counter {
    const series = new Map<string, CounterSeries>();
    const key = (l: Labels = {}) => labelNames.map((n) => l[n] ?? "");
    this.#register(name, labelNames, () => ({
      name,
      help,
      type: "counter",
      labelNames,
      series: [...series.values()].map((s) => ({ values: s.values, n: s.n })),
    }));
    return {
      inc(labels, by = 1) {
        if (!(by >= 0)) throw new RangeError("a counter only goes up");
        const values = key(labels);
        const k = JSON.stringify(values);
        const s = series.get(k) ?? { values, n: 0 };
        s.n += by;
        series.set(k, s);
      },
      get: (labels) => series.get(JSON.stringify(key(labels)))?.n ?? 0,
    };
  }

  /** A value that goes up and down, or is read on demand through `collect`. */
  gauge(name: string, help: string, collect?: () => number): Gauge {
    let value = 0;
    this.#register(name, [], () => ({ name, help, type: "gauge", value: collect ? collect() : value }));
    return { set: (v) => void (value = v) };
  }

  /** A cumulative histogram with fixed upper bounds (seconds, say). */
  histogram(name: string, help: string, buckets: readonly number[], labelNames: readonly string[] = []): Histogram {
    const bounds = [...buckets].sort((a, b) => a - b);
    const series = new Map<string, HistogramSeries>();
    this.#register(name, labelNames, () => ({
      name,
      help,
      type: "histogram",
      labelNames,
      bounds,
      series: [...series.values()].map((s) => ({ ...s, counts: [...s.counts] })),
    }));
    return {
      observe(value, labels = {}) {
        const values = labelNames.map((n) => labels[n] ?? "");
        const k = JSON.stringify(values);
        const s = series.get(k) ?? { values, counts: bounds.map(() => 0), sum: 0, count: 0 };
        for (let i = 0; i < bounds.length; i++) if (value <= bounds[i]!) s.counts[i]!++;
        s.sum += value;
        s.count++;
        series.set(k, s);
      },
    };
  }

  /** Every family as plain data (structured-clonable), in registration order. */
  snapshot(): FamilySnapshot[] {
    return this.#families.map((f) => f());
  }

  /** The whole registry as `text/plain; version=0.0.4`. */
  render(): string {
    return renderMerged([this.snapshot()]);
  }
}

/**
 * Render several registries' snapshots as one (the owner thread's and each worker's): counters and histogram series
 * with the same labels are added; gauges and the family order come from the first snapshot.
 */
export function renderMerged(snapshots: readonly FamilySnapshot[][]): string {
  const [first = [], ...rest] = snapshots;
  const lines: string[] = [];
  for (const f of first) {
    const others = rest.map((s) => s.find((o) => o.name === f.name && o.type === f.type));
    lines.push(`# HELP ${f.name} ${f.help.replace(/\\/g, "\\\\").replace(/\n/g, "\\n")}`, `# TYPE ${f.name} ${f.type}`);
    if (f.type === "gauge") lines.push(`${f.name} ${formatNumber(f.value)}`);
    else if (f.type === "counter") {
      for (const s of mergeSeries(f.series, others, (a, b) => ({ ...a, n: a.n + b.n }))) {
        lines.push(`${f.name}${labelText(f.labelNames, s.values)} ${formatNumber(s.n)}`);
      }
    } else {
      const add = (a: HistogramSeries, b: HistogramSeries) => ({
        values: a.values,
        counts: a.counts.map((n, i) => n + (b.counts[i] ?? 0)),
        sum: a.sum + b.sum,
        count: a.count + b.count,
      });
      for (const s of mergeSeries(f.series, others, add)) {
        const l = (extra?: string) => labelText(f.labelNames, s.values, extra);
        lines.push(
          ...f.bounds.map((b, i) => `${f.name}_bucket${l(`le="${formatNumber(b)}"`)} ${s.counts[i]}`),
          `${f.name}_bucket${l('le="+Inf"')} ${s.count}`,
          `${f.name}_sum${l()} ${formatNumber(s.sum)}`,
          `${f.name}_count${l()} ${s.count}`,
        );
      }
    }
  }
  return lines.join("\n") + "\n";
}

/** Series of one family across snapshots, added up by label values (first-seen order). */
function mergeSeries<S extends { values: string[] }>(
  own: S[],
  others: (FamilySnapshot | undefined)[],
  add: (a: S, b: S) => S,
): S[] {
  const byKey = new Map<string, S>();
  const take = (s: S) => {
    const k = JSON.stringify(s.values);
    const prev = byKey.get(k);
    byKey.set(k, prev ? add(prev, s) : s);
  };
  own.forEach(take);
  for (const o of others) if (o && "series" in o) (o.series as unknown as S[]).forEach(take);
  return [...byKey.values()];
}

/** Content-Type of the rendered registry. */
export const EXPOSITION_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";
