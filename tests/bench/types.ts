/** @module Contract for benchmark modules: each `tests/bench/*_bench.ts` exports `run()` returning sections. */

/** One measured figure next to the baseline it is compared with (both taken in the same run). */
export interface BenchRow {
  name: string;
  value: number;
  unit: string;
  /** Name of the baseline figure, e.g. "openssl speed rsa2048 verify + ed25519 sign (per core)". */
  baseline?: string;
  baselineValue?: number;
  /** value / baselineValue (or the inverse where lower is better, say which in `note`). */
  ratio?: number;
  note?: string;
}

export interface BenchSection {
  title: string;
  rows: BenchRow[];
  /** Free text shown under the table (method, caveats). */
  notes?: string[];
}

export interface BenchContext {
  /** Absolute path of the repo root. */
  root: string;
  /** Path to the deno binary running the bench. */
  deno: string;
  /** Soft time budget for this module in seconds (the whole run must stay under 5 minutes). */
  budgetSeconds: number;
  log(line: string): void;
}

export type BenchModule = { run(ctx: BenchContext): Promise<BenchSection[]> };
