/** @module "Waiting for…" feedback: a spinner on a terminal, one plain line otherwise (logs, CI, pipes). */

import type { Stdio } from "../../shared/cli.ts";

export interface Waiting {
  /** Stop the spinner and clear its line (idempotent). */
  stop(): void;
}

const FRAMES = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

/** Show `text` while something is pending. The spinner only runs when stderr is a terminal. */
export function startWaiting(stdio: Stdio, text: string): Waiting {
  if (!stdio.isTerminal) {
    stdio.stderr(`${text}...\n`);
    return { stop() {} };
  }
  const started = Date.now();
  let frame = 0;
  const draw = () => {
    const secs = Math.floor((Date.now() - started) / 1000);
    stdio.stderr(`\r\x1b[2K${FRAMES[frame++ % FRAMES.length]} ${text} (${secs}s, Ctrl-C to cancel)`);
  };
  draw();
  const id = setInterval(draw, 120);
  let stopped = false;
  return {
    stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(id);
      stdio.stderr("\r\x1b[2K");
    },
  };
}
