/** @module Tests for the waiting feedback. */

import { assertEquals } from "../../tests/helpers/assert.ts";
import type { Stdio } from "../../shared/cli.ts";
import { startWaiting } from "./login_progress.ts";

function capture(isTerminal: boolean): Stdio & { err: string[] } {
  const err: string[] = [];
  return { err, isTerminal, stdout() {}, stderr: (t) => void err.push(t) };
}

Deno.test("startWaiting() prints one plain line when stderr is not a terminal", () => {
  const io = capture(false);
  const w = startWaiting(io, "Waiting for the browser login");
  w.stop();
  assertEquals(io.err, ["Waiting for the browser login...\n"]);
});

Deno.test("startWaiting() draws a spinner on a terminal and clears it when stopped", () => {
  const io = capture(true);
  const w = startWaiting(io, "Waiting");
  w.stop();
  w.stop();
  assertEquals(io.err[0], "\r\x1b[2K⠋ Waiting (0s, Ctrl-C to cancel)");
  assertEquals(io.err.at(-1), "\r\x1b[2K");
  assertEquals(io.err.length, 2);
});
