/**
 * @module The argv tokenizer behind every command's flags: long and short flags, `--flag=value`, short groups
 * (`-vo json`), `--no-NAME` for on/off flags, repeatable flags, positionals and the `--` terminator.
 *
 * It follows node:util parseArgs (strict, positionals allowed, negation allowed) token for token, with our own
 * messages (did you mean, never a flag's value: it may be a secret). Our own because importing any node: builtin
 * starts Deno's node compatibility layer, several milliseconds on every run, and kubectl runs `kube token` for each
 * of its commands.
 */

import { TalosOidcError } from "./errors.ts";
import { closest } from "./suggest.ts";

/** How one flag is read from argv. */
export interface ArgvOption {
  readonly type: "string" | "boolean";
  /** One character: `-x`. */
  readonly short?: string;
  /** A repeatable string flag: every occurrence is kept, in order (else the last one wins). */
  readonly multiple?: boolean;
}

/** What argv said: only the flags it gave (by long name), and the positional arguments in order. */
export interface ParsedArgv {
  values: Record<string, string | boolean | string[]>;
  positionals: string[];
}

/**
 * Split argv into flag values and positionals.
 * @param command names the command in errors and in the hint (`talosctl-oidc <command> --help`).
 * @throws {TalosOidcError} ERR_USAGE for an unknown flag (with the closest known one), a value missing or given to
 *   an on/off flag, or a value that looks like a flag (`--server --watch`: write `--server=-x` for such a value).
 */
export function parseArgv(
  argv: readonly string[],
  options: Readonly<Record<string, ArgvOption>>,
  command: string,
): ParsedArgv {
  const byName = new Map<string, ArgvOption>();
  const byShort = new Map<string, string>();
  // Plain loops: kube token (kubectl's every command) parses once, and each callback compiles on its first call.
  for (const name in options) {
    const o = options[name]!;
    byName.set(name, o);
    if (o.short) byShort.set(o.short, name);
  }
  const values = new Map<string, string | boolean | string[]>();
  const positionals: string[] = [];
  const fail = (message: string, guess?: string) =>
    new TalosOidcError("ERR_USAGE", `${command}: ${message}`, {
      hint: `${guess ? `did you mean "${guess}"? ` : ""}run "talosctl-oidc ${command} --help" for the list of flags`,
    });
  const store = (name: string, value: string | boolean) => {
    if (typeof value === "boolean" || !byName.get(name)!.multiple) return void values.set(name, value);
    const list = values.get(name);
    if (Array.isArray(list)) list.push(value);
    else values.set(name, [value]);
  };
  /** The value of a string flag from the next argument; returns the index of the last argument used. */
  const takeNext = (i: number, name: string, shown: string): number => {
    const next = argv[i + 1];
    if (next === undefined) throw fail(`flag "${shown}" needs a value`);
    if (next.length > 1 && next.startsWith("-")) {
      const inline = shown.startsWith("--") ? `${shown}=-VALUE` : `--${name}=-VALUE or ${shown}-VALUE`;
      throw fail(
        `flag "${shown}" needs a value but the next argument is a flag (a value starting with "-" goes as ${inline})`,
      );
    }
    store(name, next);
    return i + 1;
  };

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--") {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (arg.startsWith("--")) {
      const eq = arg.indexOf("=");
      const shown = eq < 0 ? arg : arg.slice(0, eq);
      const inline = eq < 0 ? undefined : arg.slice(eq + 1);
      const name = shown.slice(2);
      const negated = name.startsWith("no-") ? name.slice(3) : undefined;
      const option = byName.get(name);
      if (!option && negated !== undefined && byName.get(negated)?.type === "boolean") {
        if (inline !== undefined) throw fail(onOff(shown, negated));
        store(negated, false);
      } else if (!option) {
        throw fail(`unknown flag "${shown}"`, suggestLong(name, byName));
      } else if (option.type === "boolean") {
        if (inline !== undefined) throw fail(onOff(shown, name));
        store(name, true);
      } else if (inline !== undefined) store(name, inline);
      else i = takeNext(i, name, shown);
      continue;
    }
    if (arg.length < 2 || !arg.startsWith("-")) {
      positionals.push(arg);
      continue;
    }
    // Short flags, grouped or not: on/off ones in a row; a string one takes the rest of the group or the next arg.
    for (let j = 1; j < arg.length; j++) {
      const name = byShort.get(arg[j]!);
      if (name === undefined) throw fail(`unknown flag "-${arg[j]}"`);
      if (byName.get(name)!.type === "boolean") {
        store(name, true);
        continue;
      }
      if (j + 1 < arg.length) store(name, arg.slice(j + 1));
      else i = takeNext(i, name, `-${arg[j]}`);
      break;
    }
  }
  return { values: Object.fromEntries(values), positionals };
}

/** The message for `--flag=value` given to an on/off flag (the value is not repeated: it may be a secret). */
function onOff(shown: string, name: string): string {
  return `flag "${shown}" is on/off and takes no value: write --${name} or --no-${name}`;
}

/** The known long flag (or `--no-` form of an on/off one) closest to a mistyped name, as `--name`. */
function suggestLong(name: string, options: ReadonlyMap<string, ArgvOption>): string | undefined {
  const names = [...options].flatMap(([n, o]) => o.type === "boolean" ? [n, `no-${n}`] : [n]);
  const guess = closest(name, names);
  return guess === undefined ? undefined : `--${guess}`;
}
