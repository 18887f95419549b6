/** @module GET /readyz: ready only when the issuing backend can issue and the issuer's keys have been fetched. */

import type { Context } from "hono";

export interface ReadyzOptions {
  /**
   * Named checks; all must be true. E.g. `{ ca: () => issuer.ready(), oidc: () => verifier.ready() }`. A check may
   * be async (the Talos API backend makes a cheap authenticated call, cached a few seconds).
   */
  checks: Readonly<Record<string, () => boolean | Promise<boolean>>>;
}

/**
 * 200 `{"status":"ready","checks":{...}}` when every check passes, else 503 with the failing ones
 * false. A throwing or rejecting check counts as not ready. /healthz stays liveness only.
 */
export function readyzRoute(options: ReadyzOptions): (c: Context) => Promise<Response> {
  const names = Object.keys(options.checks);
  if (names.length === 0) throw new RangeError("readyzRoute: give at least one check");
  return async function readyz(c) {
    const results = await Promise.all(names.map(async (n) => {
      try {
        return (await options.checks[n]!()) === true;
      } catch {
        return false;
      }
    }));
    const checks = Object.fromEntries(names.map((n, i) => [n, results[i]!]));
    const ready = results.every(Boolean);
    c.header("Cache-Control", "no-store");
    return c.json({ status: ready ? "ready" : "not ready", checks }, ready ? 200 : 503);
  };
}
