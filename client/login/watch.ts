/**
 * @module `login --watch`: stay in the foreground, renew when each certificate is due, back off on errors, and
 * stop cleanly (exit 0) on Ctrl-C.
 */

import { formatDuration } from "../../shared/duration.ts";
import { isTalosOidcError } from "../../shared/errors.ts";
import type { LoginDeps } from "./deps.ts";

/** First retry delay and cap of the exponential backoff. */
const BACKOFF_MIN_MS = 10_000;
const BACKOFF_MAX_MS = 5 * 60_000;

/** Delay before retry number `failures` (1-based): 10 s, 20 s, 40 s … capped at 5 minutes. */
export function backoffDelay(failures: number): number {
  return Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** Math.max(0, failures - 1));
}

/** One attempt of the loop: a pass that worked, or the error of one that did not and when it is retried. */
export type Attempt<P> = { readonly pass: P } | { readonly error: unknown; readonly retryInMs: number };

/**
 * Run `pass` until `d.signal` aborts, each time again at the `renewAt` it returns, and record every attempt in
 * `attempts`. Usage and configuration errors end the loop (thrown); everything else is retried with backoff.
 */
export async function watchRenewals<P extends { renewAt: Date }>(
  d: Pick<LoginDeps, "signal" | "clock" | "logger" | "sleep">,
  pass: () => Promise<P>,
  attempts: Attempt<P>[],
): Promise<void> {
  let failures = 0;
  while (!d.signal.aborted) {
    let waitMs: number;
    try {
      const p = await pass();
      attempts.push({ pass: p });
      failures = 0;
      waitMs = Math.max(1_000, p.renewAt.getTime() - d.clock.now().getTime());
      d.logger.info(`Watching: next renewal at ${p.renewAt.toISOString()} (in ${formatDuration(waitMs)}).`);
    } catch (err) {
      if (d.signal.aborted) break;
      if (isTalosOidcError(err) && (err.code === "ERR_USAGE" || err.code === "ERR_CONFIG")) throw err;
      failures++;
      waitMs = backoffDelay(failures);
      attempts.push({ error: err, retryInMs: waitMs });
      const what = err instanceof Error ? err.message : String(err);
      d.logger.warn(`Renewal failed: ${what}. Retrying in ${formatDuration(waitMs)}.`);
      if (isTalosOidcError(err) && err.hint) d.logger.info(`hint: ${err.hint}`);
    }
    try {
      await d.sleep(waitMs, d.signal);
    } catch {
      break; // aborted
    }
  }
  d.logger.info("Stopped watching.");
}
