/** @module GET /admin/stats and /admin/certs: the admin JSON API, behind `Authorization: Bearer <admin_token>`. */

import { Hono } from "hono";
import type { Secret } from "../../shared/secret.ts";
import type { AdminLockout, Awaitable, BlockList, HistoryView } from "../state/types.ts";
import { adminBlocksRoutes } from "./admin_blocks.ts";
import type { AuditSink } from "../audit/types.ts";
import { methodNotAllowed } from "../errors_http.ts";
import { bearerAuth } from "../middleware/bearer.ts";

export interface AdminApiOptions {
  /** admin_token. Mount these routes only when it is set: without it /admin/* stays 404. */
  token: Secret;
  tracker: Pick<HistoryView, "stats" | "certs">;
  /** The audit chain head (AuditLog.lastHash), shown as `audit_head` so operators can anchor `audit verify`. */
  auditHead?: () => Awaitable<string>;
  /** The lock-out shared with the dashboard sign-in (the state store's). */
  lockout: AdminLockout;
  /** Receives `admin_auth_failure` for each wrong token, and the block list's changes. */
  audit?: Pick<AuditSink, "write" | "committed">;
  /** The block list (/admin/blocks), when the server keeps one. */
  blocks?: Pick<BlockList, "add" | "remove" | "list">;
  now?: () => number;
}

/** A sub-app to mount with `app.route("/admin", adminApiRoutes(...))`. */
export function adminApiRoutes(options: AdminApiOptions): Hono {
  const app = new Hono();
  const auth = bearerAuth({
    token: options.token,
    realm: "admin",
    lockout: options.lockout,
    onFailure(c, lockedMs) {
      const v = c.var as { clientIp?: string; requestId?: string };
      options.audit?.write({
        type: "admin_auth_failure",
        subject: "admin-token",
        ...(v.clientIp ? { client_ip: v.clientIp } : {}),
        reason: "wrong admin token",
        ...(lockedMs > 0 ? { error: `address locked out for ${Math.ceil(lockedMs / 1000)} s` } : {}),
        ...(v.requestId ? { "request.id": v.requestId } : {}),
      });
    },
  });
  app.use("/stats", auth);
  app.use("/certs", auth);
  app.get("/stats", async function stats(c) {
    c.header("Cache-Control", "no-store");
    const [s, head] = await Promise.all([options.tracker.stats(), options.auditHead?.()]);
    return c.json({ ...s, ...(head ? { audit_head: head } : {}) });
  });
  app.get("/certs", async function certs(c) {
    c.header("Cache-Control", "no-store");
    const all = ["1", "true", "yes"].includes(c.req.query("all") ?? "");
    return c.json(await options.tracker.certs({ all }));
  });
  app.all("/stats", methodNotAllowed("GET"));
  app.all("/certs", methodNotAllowed("GET"));
  if (options.blocks && options.audit) {
    const { blocks, audit } = options;
    app.route("/", adminBlocksRoutes({ auth, blocks, audit, now: options.now ?? Date.now }));
  }
  return app;
}
