/** @module Command specs, flag parsing (shared/args.ts) and --help text shared by every command. */

import { type ArgvOption, parseArgv } from "./args.ts";
import { TalosOidcError } from "./errors.ts";

/** Standard streams as the commands see them: stdout is data, stderr is people. */
export interface Stdio {
  stdout(text: string): void;
  stderr(text: string): void;
  /** True when stderr is a terminal (spinners, prompts, colours). */
  isTerminal: boolean;
  /** Read one line from stdin (prompts). Undefined when there is no stdin. */
  readLine?: () => Promise<string | null>;
}

/** What every command receives. Only main.ts builds this from Deno.* globals. */
export interface CommandContext {
  args: string[];
  env: Readonly<Record<string, string | undefined>>;
  stdio: Stdio;
  /** Aborted on SIGINT/SIGTERM. */
  signal: AbortSignal;
  /** URL of the module this process started from (main.ts, the bundle, the binary): serve's worker threads run it. */
  entry?: string;
}

/** One flag. Write a command's flags `as const` (or through defineSpec) so their values are typed by name. */
export interface FlagSpec {
  readonly name: string;
  readonly short?: string;
  readonly type: "string" | "boolean";
  /** Repeatable (and comma-separated values are split). */
  readonly multiple?: boolean;
  /** Shown in --help; also applied when the flag and its env var are absent. */
  readonly default?: string | boolean | readonly string[];
  /** Environment variable read when the flag is absent (non-empty values only). */
  readonly env?: string;
  readonly description: string;
  /** Placeholder in help, e.g. URL, PATH, DURATION. */
  readonly arg?: string;
  /** Accepted but not shown in --help or completions: an old name kept working (doctor --context). */
  readonly hidden?: boolean;
}

/** What a flag holds after parsing, whatever its spec. */
export type RawFlagValue = string | boolean | string[] | undefined;

/**
 * The type of one flag's parsed value: on/off → boolean (false when absent), repeatable → string[] (empty when
 * absent), with a default → string, else string | undefined. A spec whose names are not known at compile time
 * (a plain FlagSpec[]) gives RawFlagValue.
 */
export type FlagValue<F extends FlagSpec> = string extends F["name"] ? RawFlagValue
  : F extends { readonly type: "boolean" } ? boolean
  : F extends { readonly multiple: true } ? string[]
  : F extends { readonly default: string } ? string
  : string | undefined;

/** Parsed values by flag name: renaming or removing a flag makes every read of it a compile error. */
export type FlagValues<Fs extends readonly FlagSpec[]> = { -readonly [F in Fs[number] as F["name"]]: FlagValue<F> };

export interface CommandSpec<Fs extends readonly FlagSpec[] = readonly FlagSpec[]> {
  name: string;
  usage: string;
  description?: string;
  flags: Fs;
  examples?: readonly string[];
  /** More positional arguments than this are a usage error naming the first extra one (default: no limit). */
  maxPositionals?: number;
}

export interface ParsedArgs<Fs extends readonly FlagSpec[] = readonly FlagSpec[]> {
  values: FlagValues<Fs>;
  positionals: string[];
  /** Which flags were given explicitly or through env (not defaults). */
  explicit: Set<string>;
  /** --help or -h was given. */
  help: boolean;
}

/** A spec with its flags' names and types kept literal (as `as const` would), so values are typed by name. */
export function defineSpec<const Fs extends readonly FlagSpec[]>(spec: CommandSpec<Fs>): CommandSpec<Fs> {
  return spec;
}

const HELP_FLAG: FlagSpec = { name: "help", short: "h", type: "boolean", description: "show this help" };

/**
 * Parse argv against a spec: flag > non-empty env > default.
 * @throws {TalosOidcError} ERR_USAGE naming the bad flag and pointing to --help.
 */
export function parseFlags<Fs extends readonly FlagSpec[]>(
  spec: CommandSpec<Fs>,
  argv: readonly string[],
  env: CommandContext["env"] = {},
): ParsedArgs<Fs> {
  const options: Record<string, ArgvOption> = {};
  for (const f of [...spec.flags, HELP_FLAG]) options[f.name] = { type: f.type, short: f.short, multiple: f.multiple };
  // Every on/off flag also takes --no-NAME, which turns off an env var or a saved profile's value.
  const parsed = parseArgv(argv, options, spec.name);
  const given = parsed.values as Record<string, RawFlagValue>;
  const values: Record<string, RawFlagValue> = {};
  const explicit = new Set<string>();
  for (const f of spec.flags) {
    let v = given[f.name];
    if (v !== undefined) explicit.add(f.name);
    if (v === undefined && f.env) {
      const e = env[f.env];
      if (e !== undefined && e !== "") {
        explicit.add(f.name);
        v = f.type === "boolean" ? /^(1|true|yes)$/i.test(e) : f.multiple ? [e] : e;
      }
    }
    v ??= typeof f.default === "object" ? [...f.default] : f.default;
    if (f.type === "boolean") v = v === true;
    else if (f.multiple) v = splitList(Array.isArray(v) ? v : []);
    values[f.name] = v;
  }
  return { values: values as FlagValues<Fs>, positionals: parsed.positionals, explicit, help: given.help === true };
}

/** A repeatable flag's values, each split at commas, trimmed, empty ones dropped. */
function splitList(given: readonly string[]): string[] {
  const out: string[] = [];
  for (const value of given) {
    for (const item of value.split(",")) if (item.trim()) out.push(item.trim());
  }
  return out;
}

/** The text `--help` prints: the summary (main.ts's command table holds it), usage, description, flags, examples. */
function formatHelp(spec: CommandSpec, summary?: string): string {
  const lines = [...(summary ? [summary, ""] : []), `Usage:\n  ${spec.usage}`];
  if (spec.description) lines.push("", spec.description.trim());
  const rows = [...spec.flags, HELP_FLAG].filter((f) => !f.hidden).map((f) => {
    const left = `  ${f.short ? `-${f.short}, ` : "    "}--${f.name}${
      f.type === "string" ? ` ${f.arg ?? "VALUE"}` : ""
    }`;
    const extras: string[] = [];
    const d = f.default;
    if (d !== undefined && d !== false && !(Array.isArray(d) && d.length === 0) && d !== "") {
      extras.push(`default ${Array.isArray(d) ? d.join(",") : String(d)}`);
    }
    if (f.env) extras.push(`env ${f.env}`);
    if (f.multiple) extras.push("repeatable");
    return [left, f.description + (extras.length ? ` (${extras.join("; ")})` : "")] as const;
  });
  const width = Math.min(40, Math.max(...rows.map(([l]) => l.length)) + 2);
  lines.push("", "Flags:");
  for (const [l, r] of rows) lines.push(l.length >= width ? `${l}\n${" ".repeat(width)}${r}` : l.padEnd(width) + r);
  if (spec.flags.some((f) => f.type === "boolean" && !f.hidden)) {
    // The reason to turn a flag off only applies to commands with env vars or a --profile (not demo, not audit).
    const why = spec.flags.some((f) => f.env !== undefined || f.name === "profile")
      ? " (e.g. to turn off a value set by an env var or a saved profile)"
      : "";
    lines.push("", `On/off flags also take --no-NAME${why}.`);
  }
  if (spec.examples?.length) lines.push("", "Examples:", ...spec.examples.map((e) => `  ${e}`));
  return lines.join("\n") + "\n";
}

/** A runnable command: its spec (for --help and completions) and a use case receiving the parsed flags. */
export interface Command<Fs extends readonly FlagSpec[] = readonly FlagSpec[]> {
  spec: CommandSpec<Fs>;
  /** Run with `ctx.args` already parsed against `spec` into `args` (runCommand does that). Returns the exit code. */
  run(ctx: CommandContext, args: ParsedArgs<Fs>): Promise<number>;
}

/** A command whose `run` sees its flags typed by the spec's literal names and types. */
export function defineCommand<const Fs extends readonly FlagSpec[]>(
  spec: CommandSpec<Fs>,
  run: (ctx: CommandContext, args: ParsedArgs<Fs>) => Promise<number>,
): Command<Fs> {
  return { spec, run };
}

/** Exit codes: 0 ok, 1 runtime or auth failure, 2 usage or configuration error (130/143: see Interrupted). */
export const EXIT = Object.freeze({ OK: 0, FAILURE: 1, USAGE: 2 });

/** The reason of CommandContext.signal when main.ts received a signal: what to print, and the exit code. */
export class Interrupted extends Error {
  override readonly name = "Interrupted";
  constructor(readonly signal: "SIGINT" | "SIGTERM") {
    super(signal === "SIGINT" ? "interrupted" : "terminated");
  }

  /** 128 + the signal's number, as a shell reports a process the signal stopped. */
  get exitCode(): number {
    return this.signal === "SIGINT" ? 130 : 143;
  }
}

/**
 * Run a command the way main.ts does: parse `ctx.args` against its spec; `--help` prints the help (with `summary`,
 * from the command table) and exits 0; more positional arguments than the spec allows are a usage error.
 * @throws {TalosOidcError} ERR_USAGE for bad flags, and whatever the command throws.
 */
export async function runCommand<Fs extends readonly FlagSpec[]>(
  command: Command<Fs>,
  ctx: CommandContext,
  summary?: string,
): Promise<number> {
  const { spec } = command;
  const args = parseFlags(spec, ctx.args, ctx.env);
  if (args.help) {
    ctx.stdio.stdout(formatHelp(spec, summary));
    return EXIT.OK;
  }
  const max = spec.maxPositionals ?? Infinity;
  if (args.positionals.length > max) throw usageError(spec.name, `unexpected argument "${args.positionals[max]}"`);
  return await command.run(ctx, args);
}

/** A usage error of `command`, pointing to its --help (exit code 2). */
export function usageError(command: string, message: string): TalosOidcError {
  return new TalosOidcError("ERR_USAGE", `${command}: ${message}`, {
    hint: `run "talosctl-oidc ${command} --help" for the flags`,
  });
}

/**
 * The named flags of `command`, which must have a value (not empty), as strings; else one usage error listing every
 * missing one with its env var (from `flags`), and `hint` (default: the command's --help).
 * @throws {TalosOidcError} ERR_USAGE
 */
export function requireFlags<V extends object, const K extends keyof V & string>(
  command: { name: string; flags: readonly FlagSpec[] },
  values: V,
  names: readonly K[],
  hint = `run "talosctl-oidc ${command.name} --help" for the flags`,
): { [P in K]: string } {
  const get = (k: K) => (values as Record<string, unknown>)[k];
  const missing = names.filter((k) => typeof get(k) !== "string" || get(k) === "").map((k) => {
    const env = command.flags.find((f) => f.name === k)?.env;
    return `--${k}${env ? ` (or ${env})` : ""}`;
  });
  if (missing.length > 0) {
    throw new TalosOidcError("ERR_USAGE", `${command.name}: missing ${missing.join(", ")}`, { hint });
  }
  return Object.fromEntries(names.map((k) => [k, get(k)])) as { [P in K]: string };
}

/** `-o/--output text|json`, as every command with machine-readable output takes it. */
export const OUTPUT_FLAG = {
  name: "output",
  short: "o",
  type: "string",
  arg: "FORMAT",
  default: "text",
  description: "text or json",
} as const satisfies FlagSpec;

/** The --output value, checked. @throws {TalosOidcError} ERR_USAGE for anything but text or json. */
export function outputFormat(value: string, command: string): "text" | "json" {
  if (value !== "text" && value !== "json") throw usageError(command, `--output must be text or json, got "${value}"`);
  return value;
}
