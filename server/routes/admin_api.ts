/** @module GET /admin/stats and /admin/certs: the admin JSON API, behind `Authorization: Bearer <admin_token>`. */

import { Hono } from "hono";
import type { Secret } from "../../shared/secret.ts";
import type { Tracker } from "../admin/tracker.ts";
import { methodNotAllowed } from "../errors_http.ts";
import { bearerAuth } from "../middleware/bearer.ts";

export interface AdminApiOptions {
  /** admin_token. Mount these routes only when it is set: without it /admin/* stays 404. */
  token: Secret;
  tracker: Pick<Tracker, "stats" | "certs">;
  /** The audit chain head (AuditLog.lastHash), shown as `audit_head` so operators can anchor `audit verify`. */
  auditHead?: () => string;
}

/** A sub-app to mount with `app.route("/admin", adminApiRoutes(...))`. */
export function adminApiRoutes(options: AdminApiOptions): Hono {
  const app = new Hono();
  const auth = bearerAuth({ token: options.token, realm: "admin" });
  app.use("/stats", auth);
  app.use("/certs", auth);
  app.get("/stats", function stats(c) {
    c.header("Cache-Control", "no-store");
    const head = options.auditHead?.();
    return c.json({ ...options.tracker.stats(), ...(head ? { audit_head: head } : {}) });
  });
  app.get("/certs", function certs(c) {
    c.header("Cache-Control", "no-store");
    const all = ["1", "true", "yes"].includes(c.req.query("all") ?? "");
    return c.json(options.tracker.certs({ all }));
  });
  app.all("/stats", methodNotAllowed("GET"));
  app.all("/certs", methodNotAllowed("GET"));
  return app;
}
