/** @module Tests for the waiting feedback: plain line off a terminal, and a spinner that never garbles other output. */

import { assertEquals } from "../../tests/helpers/assert.ts";
import type { Stdio } from "../../shared/cli.ts";
import { fixedClock } from "../../shared/clock.ts";
import { withProgress } from "./progress.ts";

function capture(isTerminal: boolean): Stdio & { err: string[]; out: string[] } {
  const err: string[] = [];
  const out: string[] = [];
  return { err, out, isTerminal, stdout: (t) => void out.push(t), stderr: (t) => void err.push(t) };
}

/**
 * What a terminal shows after receiving `chunks`: "\r" returns to column 0, ESC[2K erases the line, "\n" starts a
 * new line, any other character overwrites the cell under the cursor.
 */
function screen(chunks: string[]): string[] {
  const lines = [""];
  let col = 0;
  const text = chunks.join("");
  for (let i = 0; i < text.length; i++) {
    const row = lines.length - 1;
    if (text.startsWith("\x1b[2K", i)) {
      lines[row] = "";
      i += 3;
    } else if (text[i] === "\r") col = 0;
    else if (text[i] === "\n") {
      lines.push("");
      col = 0;
    } else {
      const line = lines[row]!.padEnd(col);
      lines[row] = line.slice(0, col) + text[i] + line.slice(col + 1);
      col++;
    }
  }
  return lines;
}

Deno.test("startWaiting() prints one plain line when stderr is not a terminal, and writes pass straight through", () => {
  const io = capture(false);
  const p = withProgress(io);
  const w = p.startWaiting("Waiting for the browser login");
  p.stderr("warn: something\n");
  w.stop();
  assertEquals(io.err, ["Waiting for the browser login...\n", "warn: something\n"]);
});

Deno.test("startWaiting() draws a spinner on a terminal and clears it when stopped", () => {
  const io = capture(true);
  const w = withProgress(io, { clock: fixedClock(new Date(0)) }).startWaiting("Waiting");
  w.stop();
  w.stop();
  assertEquals(io.err, ["\r\x1b[2K⠋ Waiting (0s, Ctrl-C to cancel)", "\r\x1b[2K"]);
  assertEquals(screen(io.err), [""]);
});

Deno.test("a warning printed while the spinner runs gets its own clean line, with the spinner redrawn below", () => {
  const io = capture(true);
  const clock = fixedClock(new Date(0));
  const p = withProgress(io, { clock });
  const w = p.startWaiting("Waiting for the browser login");
  clock.advance(3_000);
  p.stderr("warn: ignored a callback request whose state does not match this login\n");
  assertEquals(screen(io.err), [
    "warn: ignored a callback request whose state does not match this login",
    "⠙ Waiting for the browser login (3s, Ctrl-C to cancel)",
  ]);
  p.stderr("Open this URL to sign in:\n  https://idp.example/auth\n\n");
  w.stop();
  assertEquals(screen(io.err), [
    "warn: ignored a callback request whose state does not match this login",
    "Open this URL to sign in:",
    "  https://idp.example/auth",
    "",
    "",
  ]);
  p.stderr("after\n");
  assertEquals(io.err.at(-1), "after\n");
});

Deno.test("the spinner waits for a partial line to end instead of erasing it", () => {
  const io = capture(true);
  const p = withProgress(io, { clock: fixedClock(new Date(0)) });
  const w = p.startWaiting("Waiting");
  p.stderr("Exchanging");
  p.stderr("... done\n");
  assertEquals(screen(io.err), ["Exchanging... done", "⠙ Waiting (0s, Ctrl-C to cancel)"]);
  w.stop();
  assertEquals(screen(io.err), ["Exchanging... done", ""]);
});

Deno.test("a second spinner replaces the first, and its timer keeps redrawing one line only", async () => {
  const io = capture(true);
  const p = withProgress(io, { intervalMs: 1 });
  p.startWaiting("first");
  const w = p.startWaiting("second");
  await new Promise((r) => setTimeout(r, 20));
  p.stdout("data\n");
  w.stop();
  assertEquals(io.out, ["data\n"]);
  assertEquals(screen(io.err), [""]);
  assertEquals(io.err.filter((t) => t.includes("first")).length, 1);
});
