/** @module Run one command in this test's process as main.ts would run it, its output captured (no terminal). */

import { type Command, type FlagSpec, runCommand } from "../../shared/cli.ts";

export interface InProcessResult {
  code: number;
  stdout: string;
  stderr: string;
  /** Both streams in the order they were written. */
  output: string;
}

export interface InProcessOptions {
  env?: Record<string, string | undefined>;
  /** What a prompt reads (null: end of input); without it the command has no stdin. */
  stdin?: string | null;
}

/** runCommand with a fresh signal and captured stdio; whatever the command throws is thrown. */
export async function runInProcess<Fs extends readonly FlagSpec[]>(
  command: Command<Fs>,
  args: string[],
  o: InProcessOptions = {},
): Promise<InProcessResult> {
  const r = { stdout: "", stderr: "", output: "" };
  const stdin = o.stdin;
  const code = await runCommand(command, {
    args,
    env: o.env ?? {},
    signal: new AbortController().signal,
    stdio: {
      stdout: (t) => void (r.stdout += t, r.output += t),
      stderr: (t) => void (r.stderr += t, r.output += t),
      isTerminal: false,
      ...(stdin !== undefined ? { readLine: () => Promise.resolve(stdin) } : {}),
    },
  });
  return { code, ...r };
}
