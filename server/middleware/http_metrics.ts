/** @module Middleware that counts every request by route pattern and status, and times /exchange. */

import type { MiddlewareHandler } from "hono";
import { matchedRoutes } from "hono/route";
import type { ServerMetrics } from "../metrics/server_metrics.ts";

export interface HttpMetricsOptions {
  metrics: Pick<ServerMetrics, "request">;
  /** Monotonic milliseconds (default performance.now). */
  now?: () => number;
}

/**
 * Mount first, so refusals by later middleware (403, 429) are counted too. The route label is the
 * last registered pattern that matched (never the raw URL, so label cardinality stays bounded);
 * requests that matched no specific route are labelled "unmatched".
 */
export function httpMetrics(options: HttpMetricsOptions): MiddlewareHandler {
  const now = options.now ?? (() => performance.now());
  return async function httpMetrics(c, next) {
    const start = now();
    try {
      await next();
    } finally {
      const routes = matchedRoutes(c);
      const last = routes.at(-1)?.path ?? "";
      const route = last === "" || last === "*" || last === "/*" ? "unmatched" : last;
      const status = c.res?.status ?? 500;
      options.metrics.request(route, c.req.method, status, (now() - start) / 1000);
    }
  };
}
