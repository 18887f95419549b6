/** @module GET /metrics: Prometheus text exposition, optionally behind a bearer token (metrics_token). */

import { Hono } from "hono";
import type { Secret } from "../../shared/secret.ts";
import { methodNotAllowed } from "../errors_http.ts";
import { bearerAuth } from "../middleware/bearer.ts";
import { EXPOSITION_CONTENT_TYPE } from "../metrics/registry.ts";
import type { Awaitable } from "../state/types.ts";

export interface MetricsRouteOptions {
  /** The exposition text: this process's registry, or (workers) every thread's summed by the owner. */
  metrics: { render(): Awaitable<string> };
  /** When set, scrapes need `Authorization: Bearer <token>` (401 missing, 403 wrong). */
  token?: Secret;
}

/** A sub-app to mount at the root: `app.route("/", metricsRoutes(...))`. */
export function metricsRoutes(options: MetricsRouteOptions): Hono {
  const app = new Hono();
  if (options.token) app.use("/metrics", bearerAuth({ token: options.token, realm: "metrics" }));
  app.get("/metrics", async function metrics(c) {
    c.header("Cache-Control", "no-store");
    return c.body(await options.metrics.render(), 200, { "Content-Type": EXPOSITION_CONTENT_TYPE });
  });
  app.all("/metrics", methodNotAllowed("GET"));
  return app;
}
