/** @module The talosctl-oidc entrypoint: the command table, error printing, and the only Deno.exit. */

import {
  type Command,
  type CommandContext,
  defineCommand,
  EXIT,
  Interrupted,
  runCommand,
  type Stdio,
} from "./shared/cli.ts";
import { describeCauses, isTalosOidcError, TalosOidcError } from "./shared/errors.ts";
import { redactText } from "./shared/log.ts";
import { closest } from "./shared/suggest.ts";
import { isServeWorker } from "./shared/serve_worker.ts";
import type { Pipe } from "./server/workers/channel.ts";

interface Entry {
  /** The one line that root help, the command's own --help and the completion scripts show. */
  summary: string;
  load: () => Promise<Command>;
  /** `talosctl-oidc <command> <subcommand>`: each loaded on its own (`load` is then the group's help). */
  subcommands?: Readonly<Record<string, Entry>>;
}

/** Every command, loaded lazily so `version` and `--help` stay fast. Summaries are written here only. */
export const COMMANDS: Record<string, Entry> = {
  serve: {
    summary: "Run the exchange server (ID token in, Talos client certificate out)",
    load: async () => (await import("./server/app.ts")).serveCommand,
  },
  login: {
    summary: "Sign in with your IdP and write a Talos context into your talosconfig",
    load: async () => (await import("./client/commands/login.ts")).loginCommand,
  },
  logout: {
    summary: "Remove the cached tokens and the context this tool wrote",
    load: async () => (await import("./client/commands/logout.ts")).logoutCommand,
  },
  status: {
    summary: "Show the context, its certificate and the cached token (offline)",
    load: async () => (await import("./client/commands/status.ts")).statusCommand,
  },
  setup: {
    summary: "Check your IdP client, see the claims RBAC will get, pin the server's CA and save a login profile",
    load: async () => (await import("./client/commands/setup.ts")).setupCommand,
  },
  doctor: {
    summary: "Check talosconfig, certificate, server, IdP, token cache and keychain, with fixes",
    load: async () => (await import("./client/commands/doctor.ts")).doctorCommand,
  },
  kube: {
    summary: "kubectl with the same sign-in: exec credential plugin, kubeconfig and cluster setup, checks",
    load: async () => (await import("./client/commands/kube.ts")).kubeCommand,
    subcommands: {
      token: {
        summary: "kubectl exec credential plugin: print the cached (or refreshed) ID token as an ExecCredential",
        load: async () => (await import("./client/commands/kube_token.ts")).kubeTokenCommand,
      },
      setup: {
        summary: "Write a kubeconfig user and context that use kube token, and print what the cluster needs",
        load: async () => (await import("./client/commands/kube_setup.ts")).kubeSetupCommand,
      },
      doctor: {
        summary: "Check a fresh ID token against kube-apiserver's OIDC rules, with fixes",
        load: async () => (await import("./client/commands/kube_doctor.ts")).kubeDoctorCommand,
      },
    },
  },
  rbac: {
    summary: "Try the RBAC rules of a server config against a set of claims",
    load: async () => (await import("./server/commands/rbac_test_cmd.ts")).rbacCommand,
  },
  admin: {
    summary: "Block or unblock an identity on a running server (its admin API), or list the blocks",
    load: async () => (await import("./client/commands/admin.ts")).adminCommand,
  },
  audit: {
    summary: "Verify the hash chain of an audit log",
    load: async () => (await import("./server/commands/audit_verify_cmd.ts")).auditCommand,
  },
  completion: {
    summary: "Print a shell completion script (bash, zsh, fish or powershell)",
    load: async () => (await import("./client/commands/completion.ts")).completionCommand(COMMANDS),
  },
  demo: {
    summary: "Run the local demo (built-in IdP, dev Talos CA, server, apid stand-in); source checkout only",
    load: loadDemo,
  },
  version: {
    summary: "Print version, commit and build date",
    load: () => Promise.resolve(versionCommand),
  },
};

/**
 * The demo pulls in a whole OpenID Provider (npm oidc-provider). It is loaded through a computed specifier so
 * `deno compile` and `deno bundle` never embed it; release binaries say where to find it instead.
 */
async function loadDemo(): Promise<Command> {
  const specifier = ["./demo", "command.ts"].join("/");
  try {
    return (await import(specifier)).demoCommand as Command;
  } catch (err) {
    throw new TalosOidcError("ERR_USAGE", "the demo is only available in a source checkout", {
      hint: "clone the repository and run: npm ci && npx deno task demo",
      cause: err,
    });
  }
}

const versionCommand = defineCommand({ name: "version", usage: "talosctl-oidc version", flags: [] }, async (ctx) => {
  ctx.stdio.stdout(await formatVersion());
  return EXIT.OK;
});

/** The version text, its module (and the build info) loaded only for it. */
async function formatVersion(): Promise<string> {
  return (await import("./shared/version.ts")).formatVersion();
}

/** Top-level help: the command list. */
export function rootHelp(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((n) => n.length)) + 2;
  const rows = Object.entries(COMMANDS).map(([n, e]) => `  ${n.padEnd(width)}${e.summary}`);
  return [
    "talosctl-oidc: single sign-on for Talos Linux. Trade an OIDC ID token for a short-lived Talos client certificate.",
    "",
    "Usage:\n  talosctl-oidc <command> [flags]",
    "",
    "Commands:",
    ...rows,
    "",
    'Run "talosctl-oidc <command> --help" for the flags of a command.',
    "",
  ].join("\n");
}

/** Run the CLI with the given context and return the exit code. Never exits the process. */
export async function runCli(ctx: CommandContext): Promise<number> {
  const [name, ...rest] = ctx.args;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    (name === undefined ? ctx.stdio.stderr : ctx.stdio.stdout)(rootHelp());
    return name === undefined ? EXIT.USAGE : EXIT.OK;
  }
  if (name === "--version") {
    ctx.stdio.stdout(await formatVersion());
    return EXIT.OK;
  }
  const entry = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!entry) {
    const guess = closest(name, Object.keys(COMMANDS));
    ctx.stdio.stderr(`error: unknown command "${name}"\n`);
    ctx.stdio.stderr(
      `hint: ${guess ? `did you mean "${guess}"? ` : ""}run "talosctl-oidc --help" for the list of commands\n`,
    );
    return EXIT.USAGE;
  }
  const verbose = rest.includes("-v") || rest.includes("--verbose") || Boolean(ctx.env.DEBUG);
  const sub = entry.subcommands && rest[0] !== undefined ? entry.subcommands[rest[0]] : undefined;
  const [target, args] = sub ? [sub, rest.slice(1)] : [entry, rest];
  try {
    return await runCommand(await target.load(), { ...ctx, args }, target.summary);
  } catch (err) {
    if (ctx.signal.aborted) return interrupted(ctx);
    return printError(ctx.stdio, err, verbose);
  }
}

/**
 * Ctrl-C (or SIGTERM) stopped a command that had not finished: say so, exit 128 + the signal's number as a shell
 * would (130, 143). Commands for which a signal is the normal end (serve, login --watch, demo) return 0 instead.
 */
function interrupted(ctx: CommandContext): number {
  const reason = ctx.signal.reason instanceof Interrupted ? ctx.signal.reason : new Interrupted("SIGINT");
  ctx.stdio.stderr(`${ctx.stdio.isTerminal ? "\n" : ""}${reason.message}\n`); // after the terminal's "^C"
  return reason.exitCode;
}

function printError(stdio: Stdio, err: unknown, verbose: boolean): number {
  if (isTalosOidcError(err)) {
    stdio.stderr(`error: ${redactText(err.message)}\n`);
    if (err.hint) stdio.stderr(`hint: ${redactText(err.hint)}\n`);
    const causes = describeCauses(err);
    if (verbose) { for (const c of causes) stdio.stderr(`  caused by: ${redactText(c)}\n`); }
    else if (causes.length > 0) stdio.stderr(`  (run with -v for the cause)\n`);
    return err.code === "ERR_USAGE" || err.code === "ERR_CONFIG" ? EXIT.USAGE : EXIT.FAILURE;
  }
  const msg = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  stdio.stderr(`error: unexpected failure: ${redactText(msg)}\n`);
  if (verbose && err instanceof Error && err.stack) stdio.stderr(redactText(err.stack) + "\n");
  return EXIT.FAILURE;
}

/** The real process's stdio. A prompt waiting for a line gives up when `signal` aborts (Ctrl-C). */
function denoStdio(signal: AbortSignal): Stdio {
  const enc = new TextEncoder();
  // Started by the first prompt: a generator compiles when created, and most runs (kube token) never read stdin.
  let lines: AsyncGenerator<string> | undefined;
  return {
    stdout: (t) => void Deno.stdout.writeSync(enc.encode(t)),
    stderr: (t) => void Deno.stderr.writeSync(enc.encode(t)),
    isTerminal: Deno.stderr.isTerminal(),
    readLine: async () => {
      const aborted = new Promise<never>((_, reject) => {
        if (signal.aborted) reject(signal.reason);
        signal.addEventListener("abort", () => reject(signal.reason), { once: true });
      });
      const r = await Promise.race([(lines ??= stdinLines()).next(), aborted]);
      return r.done ? null : r.value;
    },
  };
}

/** stdin, line by line (the last line may lack its newline). */
async function* stdinLines(): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let buf = "";
  for await (const chunk of Deno.stdin.readable) {
    buf += decoder.decode(chunk, { stream: true });
    let i;
    while ((i = buf.indexOf("\n")) >= 0) {
      yield buf.slice(0, i);
      buf = buf.slice(i + 1);
    }
  }
  if (buf) yield buf;
}

if (import.meta.main && isServeWorker()) {
  // A thread `serve` started (workers > 1): it serves HTTP for the owner thread, and never exits the process.
  (await import("./server/workers/worker.ts")).runServeWorker(self as unknown as Pipe);
} else if (import.meta.main) {
  const controller = new AbortController();
  Deno.addSignalListener("SIGINT", () => controller.abort(new Interrupted("SIGINT")));
  if (Deno.build.os !== "windows") {
    Deno.addSignalListener("SIGTERM", () => controller.abort(new Interrupted("SIGTERM")));
  }
  const code = await runCli({
    args: Deno.args,
    env: Deno.env.toObject(),
    stdio: denoStdio(controller.signal),
    signal: controller.signal,
    entry: import.meta.url,
  });
  Deno.exit(code);
}
