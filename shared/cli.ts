/** @module Command specs, flag parsing (node:util parseArgs) and --help text shared by every command. */

import { parseArgs } from "node:util";
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
}

export interface FlagSpec {
  name: string;
  short?: string;
  type: "string" | "boolean";
  /** Repeatable (and comma-separated values are split). */
  multiple?: boolean;
  /** Shown in --help; also applied when the flag and its env var are absent. */
  default?: string | boolean | string[];
  /** Environment variable read when the flag is absent (non-empty values only). */
  env?: string;
  description: string;
  /** Placeholder in help, e.g. URL, PATH, DURATION. */
  arg?: string;
}

export interface CommandSpec {
  name: string;
  summary: string;
  usage: string;
  description?: string;
  flags: FlagSpec[];
  examples?: string[];
}

export type FlagValues = Record<string, string | boolean | string[] | undefined>;

export interface ParsedArgs {
  values: FlagValues;
  positionals: string[];
  /** Which flags were given explicitly or through env (not defaults). */
  explicit: Set<string>;
}

const HELP_FLAG: FlagSpec = { name: "help", short: "h", type: "boolean", description: "show this help" };

/**
 * Parse argv against a spec: flag > non-empty env > default.
 * @throws {TalosOidcError} ERR_USAGE naming the bad flag and pointing to --help.
 */
export function parseFlags(spec: CommandSpec, argv: string[], env: CommandContext["env"] = {}): ParsedArgs {
  const options: Record<string, { type: "string" | "boolean"; short?: string; multiple?: boolean }> = {};
  for (const f of [...spec.flags, HELP_FLAG]) {
    options[f.name] = {
      type: f.type,
      ...(f.short ? { short: f.short } : {}),
      ...(f.multiple ? { multiple: true } : {}),
    };
  }
  let parsed;
  try {
    // allowNegative: every on/off flag also takes --no-NAME, which turns off an env var or a saved profile's value.
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true, allowNegative: true });
  } catch (err) {
    const msg = err instanceof Error ? err.message.replace(/\. To specify.*$/s, "") : String(err);
    throw new TalosOidcError("ERR_USAGE", `${spec.name}: ${msg}`, {
      hint: `run "talosctl-oidc ${spec.name} --help" for the list of flags`,
    });
  }
  const values: FlagValues = {};
  const explicit = new Set<string>();
  for (const f of spec.flags) {
    let v = (parsed.values as FlagValues)[f.name];
    if (v !== undefined) explicit.add(f.name);
    if (v === undefined && f.env) {
      const e = env[f.env];
      if (e !== undefined && e !== "") {
        explicit.add(f.name);
        v = f.type === "boolean" ? /^(1|true|yes)$/i.test(e) : f.multiple ? [e] : e;
      }
    }
    if (v === undefined) v = f.default;
    if (f.multiple && Array.isArray(v)) v = v.flatMap((x) => x.split(",")).map((x) => x.trim()).filter(Boolean);
    values[f.name] = v;
  }
  values.help = (parsed.values as FlagValues).help;
  return { values, positionals: parsed.positionals, explicit };
}

/** The text `--help` prints: usage, description, flags with defaults and env vars, examples. */
export function formatHelp(spec: CommandSpec): string {
  const lines = [`${spec.summary}`, "", `Usage:\n  ${spec.usage}`];
  if (spec.description) lines.push("", spec.description.trim());
  const rows = [...spec.flags, HELP_FLAG].map((f) => {
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
  if (spec.flags.some((f) => f.type === "boolean")) {
    lines.push("", "On/off flags also take --no-NAME (e.g. to turn off a value set by an env var or a saved profile).");
  }
  if (spec.examples?.length) lines.push("", "Examples:", ...spec.examples.map((e) => `  ${e}`));
  return lines.join("\n") + "\n";
}

/** A string flag value, or undefined. */
export function str(values: FlagValues, name: string): string | undefined {
  const v = values[name];
  return typeof v === "string" ? v : undefined;
}

/** A list flag value (always an array). */
export function list(values: FlagValues, name: string): string[] {
  const v = values[name];
  return Array.isArray(v) ? v : typeof v === "string" ? [v] : [];
}

/** A runnable command: its spec (for --help and completions) and a use case returning an exit code. */
export interface Command {
  spec: CommandSpec;
  run(ctx: CommandContext): Promise<number>;
}

/** Exit codes: 0 ok, 1 runtime or auth failure, 2 usage or configuration error. */
export const EXIT = Object.freeze({ OK: 0, FAILURE: 1, USAGE: 2 });

/**
 * Parse a command's argv the way every command does: `--help` prints the help and yields null (the command then
 * exits 0), and more than `maxPositionals` positional arguments are a usage error naming the first extra one.
 */
export function parseCommand(
  spec: CommandSpec,
  ctx: Pick<CommandContext, "args" | "env" | "stdio">,
  options: { maxPositionals?: number } = {},
): ParsedArgs | null {
  const parsed = parseFlags(spec, ctx.args, ctx.env);
  if (parsed.values.help) {
    ctx.stdio.stdout(formatHelp(spec));
    return null;
  }
  const max = options.maxPositionals ?? Infinity;
  if (parsed.positionals.length > max) {
    throw usageError(spec.name, `unexpected argument "${parsed.positionals[max]}"`);
  }
  return parsed;
}

/** A usage error of `command`, pointing to its --help (exit code 2). */
export function usageError(command: string, message: string): TalosOidcError {
  return new TalosOidcError("ERR_USAGE", `${command}: ${message}`, {
    hint: `run "talosctl-oidc ${command} --help" for the flags`,
  });
}

/** `-o/--output text|json`, as every command with machine-readable output takes it. */
export const OUTPUT_FLAG: FlagSpec = {
  name: "output",
  short: "o",
  type: "string",
  arg: "FORMAT",
  default: "text",
  description: "text or json",
};

/** The --output value, checked. @throws {TalosOidcError} ERR_USAGE for anything but text or json. */
export function outputFormat(values: FlagValues, command: string): "text" | "json" {
  const v = str(values, "output") ?? "text";
  if (v !== "text" && v !== "json") throw usageError(command, `--output must be text or json, got "${v}"`);
  return v;
}
