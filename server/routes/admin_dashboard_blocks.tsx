/**
 * @module The dashboard's block pages: the "Blocked" tab, and the Block / Unblock forms (signed-in session, CSRF token
 * and same-origin checked, audited like the API's).
 */

import type { Context, Hono } from "hono";
import { isTalosOidcError } from "../../shared/errors.ts";
import { tokensEqual } from "../admin/sessions.ts";
import type { AuditSink } from "../audit/types.ts";
import { parseBlockInput, shownBlock } from "../state/blocks.ts";
import type { BlockList, HistoryView } from "../state/types.ts";
import { BlocksTable } from "./admin/blocks_view.tsx";
import { Layout, MessagePage } from "./admin/views.tsx";
import { addAudited, removeAudited } from "./admin_blocks.ts";
import type { DashboardEnv } from "./admin_dashboard.tsx";

/** What the dashboard lends these routes: its session page guard and its request checks. */
export interface DashboardBlockHelpers {
  blocks: Pick<BlockList, "add" | "remove" | "list">;
  audit: Pick<AuditSink, "write" | "committed">;
  tracker: Pick<HistoryView, "stats">;
  now: () => number;
  /** Runs `render` for a signed-in session (with its CSRF token), else sends the browser to sign in. */
  page(
    render: (c: Context<DashboardEnv>, csrf: string) => Promise<Response>,
  ): (c: Context<DashboardEnv>) => Promise<Response>;
  sameOrigin(c: Context): boolean;
  refuse(c: Context, message: string): Response | Promise<Response>;
}

export function dashboardBlockRoutes(app: Hono<DashboardEnv>, h: DashboardBlockHelpers): void {
  app.get(
    "/admin/blocked",
    h.page(async (c, csrf) => {
      const [stats, blocks] = await Promise.all([h.tracker.stats(), h.blocks.list()]);
      return c.html(
        <Layout tab="blocks" csrf={csrf} stats={stats}>
          <BlocksTable blocks={blocks.map(shownBlock)} csrf={csrf} />
        </Layout>,
      );
    }),
  );
  /** A form post from a signed-in page: same origin and the session's CSRF token, else refused. */
  const form = (act: (c: Context<DashboardEnv>, f: Record<string, string>) => Promise<Response>) =>
    h.page(async (c, csrf) => {
      if (!h.sameOrigin(c)) return await h.refuse(c, "Cross-site request refused (Origin check failed)");
      const body = await c.req.parseBody();
      const f = Object.fromEntries(Object.entries(body).filter(([, v]) => typeof v === "string")) as Record<
        string,
        string
      >;
      if (!f.csrf || !tokensEqual(f.csrf, csrf)) {
        return await h.refuse(c, "CSRF token mismatch: reload the dashboard and try again.");
      }
      return await act(c, f);
    });
  app.post(
    "/admin/block",
    form(async (c, f) => {
      try {
        const input = parseBlockInput({ subject: f.subject, email: f.email, reason: f.reason }, h.now());
        await addAudited(h, c, input);
      } catch (err) {
        if (!isTalosOidcError(err, "ERR_INVALID_REQUEST")) throw err;
        return c.html(<MessagePage title="Block refused" message={err.message} />, 400);
      }
      return c.redirect("/admin/blocked", 303);
    }),
  );
  app.post(
    "/admin/unblock",
    form(async (c, f) => {
      await removeAudited(h, c, f.id ?? "");
      return c.redirect("/admin/blocked", 303);
    }),
  );
}
