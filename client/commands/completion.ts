/** @module `talosctl-oidc completion bash|zsh|fish|powershell`: shell completion scripts generated from the command specs. */

import { type Command, type CommandSpec, defineCommand, defineSpec, EXIT, type FlagSpec } from "../../shared/cli.ts";
import { TalosOidcError } from "../../shared/errors.ts";

/** The command table as main.ts holds it: name → summary and a lazy loader. */
export type CommandTable = Readonly<Record<string, { summary: string; load: () => Promise<Command> }>>;

/** One command as the completion scripts see it. */
export interface CompletionEntry {
  name: string;
  summary: string;
  flags: readonly FlagSpec[];
  /** Words offered as the first positional argument (e.g. `test`, or `bash zsh fish powershell`). */
  positionals: string[];
}

const SHELLS = ["bash", "zsh", "fish", "powershell"] as const;
type Shell = typeof SHELLS[number];
const BIN = "talosctl-oidc";
const FN = BIN.replace(/-/g, "_");
const HELP_FLAG: FlagSpec = { name: "help", short: "h", type: "boolean", description: "show this help" };
/** Flags whose value is a path get file completion. */
const FILE_ARG = /^(PATH|FILE|DIR|PEM)$/;

const spec = defineSpec({
  name: "completion",
  usage: `${BIN} completion bash|zsh|fish|powershell`,
  description: `
The script is generated from the commands' own flag definitions, so it always matches this binary.`,
  flags: [],
  examples: [
    `source <(${BIN} completion bash)                     # bash, current shell; add to ~/.bashrc to keep it`,
    `${BIN} completion zsh > "\${fpath[1]}/_${BIN}"         # zsh (then restart the shell)`,
    `${BIN} completion fish > ~/.config/fish/completions/${BIN}.fish`,
    `${BIN} completion powershell | Out-String | Invoke-Expression   # PowerShell; add to $PROFILE`,
  ],
});

/**
 * The `completion` command for a command table. main.ts passes its own table, so there is no import cycle:
 * `completion: { summary, load: async () => (await import("./client/commands/completion.ts")).completionCommand(COMMANDS) }`.
 */
export function completionCommand(table: CommandTable): Command<typeof spec.flags> {
  return defineCommand(spec, async (ctx, { positionals }) => {
    const shell = positionals[0];
    if (positionals.length !== 1 || !SHELLS.includes(shell as Shell)) {
      throw new TalosOidcError("ERR_USAGE", `completion: expected one shell (${SHELLS.join(", ")})`, {
        hint: `run "${BIN} completion bash", for example`,
      });
    }
    ctx.stdio.stdout(renderCompletion(shell as Shell, await collectEntries(table)));
    return EXIT.OK;
  });
}

/** Load every command's spec. A command that fails to load is still offered by name, without flags. */
export async function collectEntries(table: CommandTable): Promise<CompletionEntry[]> {
  const out: CompletionEntry[] = [];
  for (const [name, entry] of Object.entries(table)) {
    let s: CommandSpec | undefined;
    try {
      s = (await entry.load()).spec;
    } catch { /* optional or broken module: offer the name only */ }
    const flags = [...(s?.flags ?? []).filter((f) => !f.hidden), HELP_FLAG];
    out.push({ name, summary: entry.summary, flags, positionals: s ? usagePositionals(s) : [] });
  }
  return out;
}

/** First positional words from a usage line: `cmd test ...` → [test]; `cmd bash|zsh` → [bash, zsh]. */
function usagePositionals(s: CommandSpec): string[] {
  const words = s.usage.trim().split(/\s+/);
  const at = words.indexOf(s.name);
  const next = at >= 0 ? words[at + 1]?.replace(/^\[(.*)\]$/, "$1") : undefined;
  if (!next || !/^[a-z][a-z0-9-]*(\|[a-z][a-z0-9-]*)*$/.test(next) || /^(flags|options|args)$/.test(next)) return [];
  return next.split("|");
}

/** The completion script for one shell. */
function renderCompletion(shell: Shell, entries: CompletionEntry[]): string {
  switch (shell) {
    case "bash":
      return renderBash(entries);
    case "zsh":
      return renderZsh(entries);
    case "fish":
      return renderFish(entries);
    case "powershell":
      return renderPowershell(entries);
  }
}

const isFile = (f: FlagSpec) => f.type === "string" && FILE_ARG.test(f.arg ?? "");
const flagWords = (f: FlagSpec) => [`--${f.name}`, ...(f.short ? [`-${f.short}`] : [])];
const bashWord = (s: string) => s.replace(/[^A-Za-z0-9_.:,+@=\/-]/g, "");

function renderBash(entries: CompletionEntry[]): string {
  const cases = entries.map((e) => {
    const files = e.flags.filter(isFile).flatMap(flagWords).map(bashWord);
    const values = e.flags.filter((f) => f.type === "string" && !isFile(f)).flatMap(flagWords).map(bashWord);
    const words = e.flags.map((f) => bashWord(`--${f.name}`)).join(" ");
    return [
      `    ${bashWord(e.name)})`,
      files.length ? `      case "$prev" in ${files.join("|")}) _${FN}_files; return 0;; esac` : "",
      values.length ? `      case "$prev" in ${values.join("|")}) return 0;; esac` : "",
      `      if [[ "$cur" != -* && $npos -eq 0 ]]; then words="${e.positionals.map(bashWord).join(" ")}"; fi`,
      `      [[ "$cur" == -* || -z "$words" ]] && words="${words}"`,
      `      ;;`,
    ].filter(Boolean).join("\n");
  });
  return `# bash completion for ${BIN}: source <(${BIN} completion bash)
# Works with bash 3.2 (macOS): no mapfile, compopt only where it exists.
_${FN}_reply() {
  local line
  while IFS= read -r line; do COMPREPLY+=("$line"); done
}
_${FN}_files() {
  compopt -o filenames 2>/dev/null
  _${FN}_reply < <(compgen -f -- "$cur")
}
_${FN}() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" prev="\${COMP_WORDS[COMP_CWORD-1]}" cmd="" words="" npos=0 i
  if [[ "$prev" == "=" && $COMP_CWORD -ge 2 ]]; then prev="\${COMP_WORDS[COMP_CWORD-2]}"; fi
  if [[ "$cur" == "=" ]]; then cur=""; fi
  for ((i = 1; i < COMP_CWORD; i++)); do
    case "\${COMP_WORDS[i]}" in
      -*|=) ;;
      *) if [[ -z "$cmd" ]]; then cmd="\${COMP_WORDS[i]}"; else npos=$((npos + 1)); fi ;;
    esac
  done
  COMPREPLY=()
  if [[ -z "$cmd" ]]; then
    _${FN}_reply < <(compgen -W "${entries.map((e) => bashWord(e.name)).join(" ")} --help --version" -- "$cur")
    return 0
  fi
  case "$cmd" in
${cases.join("\n")}
    *) return 0;;
  esac
  _${FN}_reply < <(compgen -W "$words" -- "$cur")
}
complete -F _${FN} ${BIN}
`;
}

/** An _arguments explanation (inside `[...]`, single-quoted): escape quotes, brackets and backslashes. */
const zq = (s: string) => s.replace(/([\[\]\\])/g, "\\$1").replace(/'/g, `'\\''`);
/** An _arguments message (between colons): colons too. */
const zm = (s: string) => zq(s).replace(/:/g, "\\:");

function renderZsh(entries: CompletionEntry[]): string {
  const zshFlag = (f: FlagSpec): string[] => {
    const desc = `[${zq(f.description)}]`;
    const value = f.type === "string" ? `:${zm((f.arg ?? "value").toLowerCase())}:${isFile(f) ? "_files" : ""}` : "";
    const rep = f.multiple ? "*" : "";
    if (!f.short) return [`'${rep}--${f.name}${desc}${value}'`];
    const excl = f.multiple ? "" : `(-${f.short} --${f.name})`;
    return [`'${excl}${rep}'{-${f.short},--${f.name}}'${desc}${value}'`];
  };
  const cases = entries.map((e) => {
    const pos = e.positionals.length ? [`'1:${zm(e.name)} subcommand:(${e.positionals.join(" ")})'`] : [];
    const args = [...e.flags.flatMap(zshFlag), ...pos];
    return `    ${e.name})\n      _arguments -s \\\n        ${args.join(" \\\n        ")}\n      ;;`;
  });
  return `#compdef ${BIN}
# zsh completion for ${BIN}: ${BIN} completion zsh > "\${fpath[1]}/_${BIN}", or source <(${BIN} completion zsh)
_${FN}() {
  local -a commands
  commands=(
${entries.map((e) => `    '${e.name.replace(/:/g, "\\:")}:${e.summary.replace(/'/g, `'\\''`)}'`).join("\n")}
  )
  if (( CURRENT == 2 )); then
    _describe -t commands '${BIN} command' commands
    return
  fi
  local cmd="\${words[2]}"
  shift words
  (( CURRENT-- ))
  curcontext="\${curcontext%:*:*}:${BIN}-$cmd:"
  case "$cmd" in
${cases.join("\n")}
  esac
}
# Autoloaded from $fpath, this file runs as function _${BIN}: complete now. Sourced: register.
if [[ "\${funcstack[1]}" == "_${BIN}" ]]; then
  _${FN} "$@"
else
  compdef _${FN} ${BIN}
fi
`;
}

/** A fish single-quoted string. */
const fq = (s: string) => `'${s.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;

function renderFish(entries: CompletionEntry[]): string {
  const c = `complete -c ${BIN}`;
  const lines = [`# fish completion for ${BIN}: ${BIN} completion fish > ~/.config/fish/completions/${BIN}.fish`];
  lines.push(`${c} -f`);
  for (const e of entries) lines.push(`${c} -n __fish_use_subcommand -a ${fq(e.name)} -d ${fq(e.summary)}`);
  for (const e of entries) {
    const when = `-n ${fq(`__fish_seen_subcommand_from ${e.name}`)}`;
    if (e.positionals.length) lines.push(`${c} ${when} -a ${fq(e.positionals.join(" "))}`);
    for (const f of e.flags) {
      const short = f.short ? ` -s ${f.short}` : "";
      const arg = f.type === "string" ? (isFile(f) ? " -r -F" : " -x") : "";
      lines.push(`${c} ${when}${short} -l ${f.name}${arg} -d ${fq(f.description)}`);
    }
  }
  return lines.join("\n") + "\n";
}

/** A PowerShell single-quoted string. */
const pq = (s: string) => `'${s.replace(/'/g, "''")}'`;

function renderPowershell(entries: CompletionEntry[]): string {
  const cmds = entries.map((e) => `    ${pq(e.name)} = ${pq(e.summary)}`).join("\n");
  const flags = entries.map((e) => `    ${pq(e.name)} = @(${e.flags.map((f) => pq(`--${f.name}`)).join(", ")})`);
  const pos = entries.filter((e) => e.positionals.length)
    .map((e) => `    ${pq(e.name)} = @(${e.positionals.map(pq).join(", ")})`);
  return `# PowerShell completion for ${BIN}: ${BIN} completion powershell | Out-String | Invoke-Expression
Register-ArgumentCompleter -Native -CommandName '${BIN}', '${BIN}.exe' -ScriptBlock {
  param($wordToComplete, $commandAst, $cursorPosition)
  $commands = [ordered]@{
${cmds}
  }
  $flags = @{
${flags.join("\n")}
  }
  $positionals = @{
${pos.join("\n")}
  }
  $words = @($commandAst.CommandElements | Select-Object -Skip 1 | ForEach-Object { $_.ToString() })
  if ($wordToComplete -ne '' -and $words.Count -gt 0) { $words = @($words | Select-Object -SkipLast 1) }
  $cmd = $words | Where-Object { -not $_.StartsWith('-') } | Select-Object -First 1
  $result = { param($text, $tip) [System.Management.Automation.CompletionResult]::new($text, $text, 'ParameterValue', $tip) }
  if (-not $cmd) {
    $commands.Keys | Where-Object { $_ -like "$wordToComplete*" } | ForEach-Object { & $result $_ $commands[$_] }
    return
  }
  $candidates = @()
  $npos = @($words | Where-Object { -not $_.StartsWith('-') }).Count
  if (-not $wordToComplete.StartsWith('-') -and $positionals.ContainsKey($cmd) -and $npos -eq 1) {
    $candidates = $positionals[$cmd]
  } elseif ($flags.ContainsKey($cmd)) {
    $candidates = $flags[$cmd]
  }
  $candidates | Where-Object { $_ -like "$wordToComplete*" } | ForEach-Object { & $result $_ $_ }
}
`;
}
