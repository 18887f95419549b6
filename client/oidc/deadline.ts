/** @module Bound an interactive flow in time, telling a timeout apart from the user's Ctrl-C. */

import { TalosOidcError } from "../../shared/errors.ts";

/** Default bound for a browser or device login, as in the original tool. */
export const LOGIN_TIMEOUT_MS = 5 * 60_000;

/**
 * Run `fn` with a signal that aborts when `parent` aborts or after `ms`. A timeout becomes ERR_TIMEOUT
 * with `what` in the message; a parent abort propagates its own reason.
 */
export async function withDeadline<T>(
  parent: AbortSignal,
  ms: number,
  what: string,
  fn: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const timer = new AbortController();
  const id = setTimeout(() => timer.abort(new DOMException("deadline", "TimeoutError")), ms);
  try {
    return await fn(AbortSignal.any([parent, timer.signal]));
  } catch (err) {
    if (timer.signal.aborted && !parent.aborted) {
      // Loaded for this message only: kube token loads this module for LOGIN_TIMEOUT_MS on every kubectl call.
      const { formatDuration } = await import("../../shared/duration.ts");
      throw new TalosOidcError("ERR_TIMEOUT", `timed out after ${formatDuration(ms)} ${what}`, {
        hint: "run login again and finish signing in within the time limit",
      });
    }
    throw err;
  } finally {
    clearTimeout(id);
  }
}
