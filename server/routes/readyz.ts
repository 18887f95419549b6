/** @module GET /readyz: ready only when the issuing backend can issue, the issuer's keys are in and the audit log writes. */

import type { Context } from "hono";
import type { AppDeps } from "../app.ts";

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

/**
 * The checks `serve` mounts: the issuing backend, the issuer's keys (degraded while the IdP is down and cached keys
 * serve), the audit log, and a shared state store (degraded instead of down with state_store_fail_open).
 */
export function readyChecks(deps: AppDeps): ReadyzOptions["checks"] {
  const { config, issuer, verifier, audit, state } = deps;
  const checks: Record<string, () => CheckResult | Promise<CheckResult>> = {
    [issuer.backend === "local_ca" ? "ca" : "talos_api"]: () => issuer.ready(),
    oidc: () => {
      const out = verifier.outage();
      if (!out) return verifier.ready();
      const serving = out.fetchedAt ? `; serving with the keys fetched at ${out.fetchedAt.toISOString()}` : "";
      return {
        ok: verifier.ready(),
        detail: `the issuer is unreachable since ${out.since.toISOString()}: ${out.error}${serving}`,
      };
    },
    audit: () => {
      const h = audit.health();
      return h.writable ? true : { ok: false, detail: `cannot be written since ${h.since}: ${h.error}` };
    },
  };
  if (state.name === "memory") return checks;
  checks.state_store = () => {
    const h = state.health();
    if (h.ok) return true;
    return config.stateStoreFailOpen
      ? { ok: true, detail: `${h.detail}; state_store_fail_open: limits and blocks are not enforced` }
      : { ok: false, detail: `${h.detail}; /exchange refuses requests until it is back` };
  };
  return checks;
}
