/** @module GET /readyz: ready only when the issuing backend can issue, the issuer's keys are in and the audit log writes. */

import type { Context } from "hono";

/** A check's verdict: a boolean, or `ok` with what an operator should know (why not, or what is degraded). */
export type CheckResult = boolean | { ok: boolean; detail?: string };

export interface ReadyzOptions {
  /**
   * Named checks; all must be ok. E.g. `{ ca: () => issuer.ready(), oidc: () => verifier.ready() }`. A check may
   * be async (the Talos API backend makes a cheap authenticated call, cached a few seconds).
   */
  checks: Readonly<Record<string, () => CheckResult | Promise<CheckResult>>>;
}

/**
 * 200 `{"status":"ready","checks":{...}}` when every check passes, else 503 with the failing ones false. A check
 * that passes with a detail makes the status "degraded" (still 200: the server serves, e.g. from cached keys while
 * the IdP is down). Details go in `details` by check name. A throwing or rejecting check counts as not ready.
 * /healthz stays liveness only.
 */
export function readyzRoute(options: ReadyzOptions): (c: Context) => Promise<Response> {
  const names = Object.keys(options.checks);
  if (names.length === 0) throw new RangeError("readyzRoute: give at least one check");
  return async function readyz(c) {
    const results = await Promise.all(names.map(async (n) => {
      try {
        const r = await options.checks[n]!();
        return typeof r === "boolean" ? { ok: r } : { ok: r.ok === true, detail: r.detail };
      } catch {
        return { ok: false, detail: "the check failed" };
      }
    }));
    const checks = Object.fromEntries(names.map((n, i) => [n, results[i]!.ok]));
    const withDetail = names.flatMap((n, i) => results[i]!.detail ? [[n, results[i]!.detail!] as const] : []);
    const ready = results.every((r) => r.ok);
    const status = !ready ? "not ready" : withDetail.length > 0 ? "degraded" : "ready";
    c.header("Cache-Control", "no-store");
    return c.json(
      { status, checks, ...(withDetail.length > 0 ? { details: Object.fromEntries(withDetail) } : {}) },
      ready ? 200 : 503,
    );
  };
}
