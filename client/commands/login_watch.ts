/**
 * @module `login --watch`: stay in the foreground, renew at 2/3 of the certificate's lifetime, back off on
 * errors, and stop cleanly (exit 0) on Ctrl-C.
 */

import { formatDuration } from "../../shared/duration.ts";
import { isTalosOidcError } from "../../shared/errors.ts";
import type { LoginDeps } from "./login_deps.ts";
import type { BrowserBudget } from "./login_interactive.ts";
import { loginOnce, type LoginTarget, renewalTime } from "./login_once.ts";
import type { LoginOptions } from "./login_options.ts";
import type { OidcSession } from "./login_session.ts";

/** First retry delay and cap of the exponential backoff. */
export const BACKOFF_MIN_MS = 10_000;
export const BACKOFF_MAX_MS = 5 * 60_000;

/** Delay before retry number `failures` (1-based): 10 s, 20 s, 40 s … capped at 5 minutes. */
export function backoffDelay(failures: number): number {
  return Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** Math.max(0, failures - 1));
}

/** Renew until `d.signal` aborts. Usage and configuration errors end the loop; everything else is retried. */
export async function watchLogin(
  o: Readonly<LoginOptions>,
  d: LoginDeps,
  t: LoginTarget,
  session: OidcSession,
  budget: BrowserBudget,
): Promise<void> {
  let failures = 0;
  while (!d.signal.aborted) {
    let waitMs: number;
    try {
      const r = await loginOnce(o, d, t, session, budget);
      failures = 0;
      budget.mayOpen = true; // a renewal worked: the next failed refresh may open one tab again
      const at = renewalTime(r.cert);
      waitMs = Math.max(1_000, at.getTime() - d.clock.now().getTime());
      d.logger.info(`Watching: next renewal at ${at.toISOString()} (in ${formatDuration(waitMs)}).`);
    } catch (err) {
      if (d.signal.aborted) break;
      if (isTalosOidcError(err) && (err.code === "ERR_USAGE" || err.code === "ERR_CONFIG")) throw err;
      failures++;
      waitMs = backoffDelay(failures);
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
