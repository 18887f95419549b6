/** @module GET /readyz: ready only when the Talos CA is loaded and the issuer's keys have been fetched. */

import type { Context } from "hono";

export interface ReadyzOptions {
  /** Named checks; all must be true. E.g. `{ ca: () => issuer.ca !== undefined, oidc: () => verifier.ready() }`. */
  checks: Readonly<Record<string, () => boolean>>;
}

/**
 * 200 `{"status":"ready","checks":{...}}` when every check passes, else 503 with the failing ones
 * false. A throwing check counts as not ready. /healthz stays liveness only.
 */
export function readyzRoute(options: ReadyzOptions): (c: Context) => Response {
  const names = Object.keys(options.checks);
  if (names.length === 0) throw new RangeError("readyzRoute: give at least one check");
  return function readyz(c) {
    const checks: Record<string, boolean> = {};
    for (const n of names) {
      try {
        checks[n] = options.checks[n]!() === true;
      } catch {
        checks[n] = false;
      }
    }
    const ready = Object.values(checks).every(Boolean);
    c.header("Cache-Control", "no-store");
    return c.json({ status: ready ? "ready" : "not ready", checks }, ready ? 200 : 503);
  };
}
