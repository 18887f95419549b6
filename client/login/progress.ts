/**
 * @module "Waiting for…" feedback: a spinner on a terminal, one plain line otherwise (logs, CI, pipes). While the
 * spinner runs it owns the terminal line: every other write first clears that line, then the spinner is redrawn.
 */

import type { Stdio } from "../../shared/cli.ts";
import { type Clock, systemClock } from "../../shared/clock.ts";

export interface Waiting {
  /** Stop the spinner and clear its line (idempotent). */
  stop(): void;
}

/** Standard streams that keep a running spinner and other output from garbling each other. */
export interface ProgressStdio extends Stdio {
  /** Show `text` while something is pending. The spinner only runs when stderr is a terminal. */
  startWaiting(text: string): Waiting;
}

export interface ProgressOptions {
  /** For the elapsed seconds shown next to the spinner. */
  clock?: Clock;
  /** Time between two spinner frames (default 120 ms). */
  intervalMs?: number;
}

const FRAMES = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];
/** Carriage return + "erase the whole line" (ECMA-48 EL 2): the spinner's line becomes empty again. */
const CLEAR_LINE = "\r\x1b[2K";

/**
 * Wrap `stdio` so that the spinner owns stderr while it is active. Route every write of the run (logger included)
 * through the result: the spinner line is cleared before the write and redrawn below it once the line is ended.
 */
export function withProgress(stdio: Stdio, options: ProgressOptions = {}): ProgressStdio {
  const clock = options.clock ?? systemClock;
  let active: { draw(): void; stop(): void } | undefined;
  /** A write left the cursor inside a stderr line: the spinner stays off screen until that line ends. */
  let midLine = false;
  const around = (write: (text: string) => void, sameStream: boolean) => (text: string) => {
    if (!active || text === "") return write(text);
    if (!midLine) stdio.stderr(CLEAR_LINE);
    write(text);
    if (sameStream) midLine = !text.endsWith("\n");
    active.draw();
  };
  return {
    isTerminal: stdio.isTerminal,
    ...(stdio.readLine ? { readLine: stdio.readLine } : {}),
    stdout: around((t) => stdio.stdout(t), false),
    stderr: around((t) => stdio.stderr(t), true),
    startWaiting(text) {
      if (!stdio.isTerminal) {
        stdio.stderr(`${text}...\n`);
        return { stop() {} };
      }
      active?.stop(); // a second spinner replaces the first: never two timers drawing on one line
      midLine = false;
      const started = clock.now().getTime();
      let frame = 0;
      const spinner = {
        draw() {
          if (midLine) return;
          const secs = Math.max(0, Math.floor((clock.now().getTime() - started) / 1000));
          stdio.stderr(`${CLEAR_LINE}${FRAMES[frame++ % FRAMES.length]} ${text} (${secs}s, Ctrl-C to cancel)`);
        },
        stop() {
          if (active !== spinner) return;
          active = undefined;
          clearInterval(id);
          if (!midLine) stdio.stderr(CLEAR_LINE);
        },
      };
      active = spinner;
      spinner.draw();
      const id = setInterval(() => spinner.draw(), options.intervalMs ?? 120);
      return { stop: () => spinner.stop() };
    },
  };
}
