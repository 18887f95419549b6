/** @module A tiny Prometheus registry (counters, gauges, histograms) in text exposition format 0.0.4. */

export type Labels = Readonly<Record<string, string>>;

interface Family {
  name: string;
  help: string;
  type: "counter" | "gauge" | "histogram";
  render(): string[];
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
  readonly #families: Family[] = [];
  readonly #names = new Set<string>();

  #register(f: Family, labelNames: readonly string[]): void {
    if (!NAME.test(f.name)) throw new RangeError(`metric name "${f.name}" is invalid`);
    if (this.#names.has(f.name)) throw new RangeError(`metric "${f.name}" registered twice`);
    for (const l of labelNames) if (!LABEL.test(l) || l === "le") throw new RangeError(`label "${l}" is invalid`);
    this.#names.add(f.name);
    this.#families.push(f);
  }

  /** A monotonically increasing counter (name should end in `_total`). */
  counter(name: string, help: string, labelNames: readonly string[] = []): Counter {
    const series = new Map<string, { values: string[]; n: number }>();
    const key = (l: Labels = {}) => labelNames.map((n) => l[n] ?? "");
    this.#register({
      name,
      help,
      type: "counter",
      render: () => [...series.values()].map((s) => `${name}${labelText(labelNames, s.values)} ${formatNumber(s.n)}`),
    }, labelNames);
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
    this.#register({
      name,
      help,
      type: "gauge",
      render: () => [`${name} ${formatNumber(collect ? collect() : value)}`],
    }, []);
    return { set: (v) => void (value = v) };
  }

  /** A cumulative histogram with fixed upper bounds (seconds, say). */
  histogram(name: string, help: string, buckets: readonly number[], labelNames: readonly string[] = []): Histogram {
    const bounds = [...buckets].sort((a, b) => a - b);
    const series = new Map<string, { values: string[]; counts: number[]; sum: number; count: number }>();
    this.#register({
      name,
      help,
      type: "histogram",
      render: () =>
        [...series.values()].flatMap((s) => [
          ...bounds.map((b, i) =>
            `${name}_bucket${labelText(labelNames, s.values, `le="${formatNumber(b)}"`)} ${s.counts[i]}`
          ),
          `${name}_bucket${labelText(labelNames, s.values, 'le="+Inf"')} ${s.count}`,
          `${name}_sum${labelText(labelNames, s.values)} ${formatNumber(s.sum)}`,
          `${name}_count${labelText(labelNames, s.values)} ${s.count}`,
        ]),
    }, labelNames);
    return {
      observe(value, labels = {}) {
        const values = labelNames.map((n) => labels[n] ?? "");
        const k = JSON.stringify(values);
        const s = series.get(k) ?? { values, counts: bounds.map(() => 0), sum: 0, count: 0 };
        bounds.forEach((b, i) => void (value <= b && s.counts[i]!++));
        s.sum += value;
        s.count++;
        series.set(k, s);
      },
    };
  }

  /** The whole registry as `text/plain; version=0.0.4`. */
  render(): string {
    const lines: string[] = [];
    for (const f of this.#families) {
      lines.push(
        `# HELP ${f.name} ${f.help.replace(/\\/g, "\\\\").replace(/\n/g, "\\n")}`,
        `# TYPE ${f.name} ${f.type}`,
      );
      lines.push(...f.render());
    }
    return lines.join("\n") + "\n";
  }
}

/** Content-Type of the rendered registry. */
export const EXPOSITION_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";
