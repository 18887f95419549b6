/** @module The /admin/ dashboard: token sign-in with lock-out, server-side sessions, CSRF-checked forms, strict CSP. */

import { type Context, Hono } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import type { Secret } from "../../shared/secret.ts";
import { randomToken, tokensEqual } from "../admin/sessions.ts";
import type { AdminLockout, AdminSessions, BlockList, HistoryView } from "../state/types.ts";
import { dashboardBlockRoutes } from "./admin_dashboard_blocks.tsx";
import type { AuditSink } from "../audit/types.ts";
import { secretDigest, secretMatches } from "../middleware/bearer.ts";
import { clientKey } from "../middleware/ip.ts";
import { readAuditTail } from "./admin/audit_tail.ts";
import { ADMIN_CSS } from "./admin/style.ts";
import { ActiveTable, AuditTail, FailuresTable, Layout, LoginPage, MessagePage, Overview } from "./admin/views.tsx";

export const SESSION_COOKIE = "talosctl_oidc_admin_session";
/** Most bytes a sign-in or sign-out form may post (createApp's body limits enforce it before the form is read). */
export const ADMIN_FORM_MAX_BODY = 8 * 1024;
export const CSRF_COOKIE = "talosctl_oidc_admin_csrf";
export const ADMIN_CSP = [
  "default-src 'none'",
  "style-src 'self'",
  "img-src 'self' data:",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join("; ");

export type DashboardEnv = { Variables: { clientIp: string; requestId?: string } };

export interface AdminDashboardOptions {
  /** admin_token. Mount the dashboard only when it is set (otherwise /admin/ is 404). */
  token: Secret;
  tracker: HistoryView;
  audit?: Pick<AuditSink, "write" | "committed">;
  /** The audit log file, for the tail page ("-" = stdout, no tail). */
  auditLogPath?: string;
  /**
   * Cookies always carry `Secure` when true (TLS mode). When false (plain-HTTP mode), they still do
   * for requests that say `X-Forwarded-Proto: https` (TLS ended at an ingress): a client can only
   * make its own cookie stricter with that header, so it needs no trust.
   */
  secureCookie: boolean;
  /** Extra origins allowed to POST (e.g. the public URL when a proxy rewrites Host). */
  allowedOrigins?: readonly string[];
  /** The lock-out shared with the admin API (the state store's): wrong tokens on either path count together. */
  lockout: AdminLockout;
  /** Where sessions live (the state store's, so a session made on one worker or replica works on every other). */
  sessions: AdminSessions;
  /** The block list: a Block button on each certificate row and a "Blocked" tab (needs `audit` too). */
  blocks?: Pick<BlockList, "add" | "remove" | "list">;
  now?: () => number;
  /** Lines shown on the audit page (default 100). */
  auditTailLines?: number;
}

/** A sub-app with absolute /admin paths: mount with `app.route("/", adminDashboardRoutes(...))`. */
export function adminDashboardRoutes(o: AdminDashboardOptions): Hono<DashboardEnv> {
  const digest = secretDigest(o.token);
  const { lockout, sessions } = o;
  const origins = new Set(o.allowedOrigins ?? []);
  const cookieFor = (c: Context) => ({
    path: "/admin",
    httpOnly: true,
    secure: o.secureCookie || c.req.header("x-forwarded-proto")?.split(",")[0]?.trim().toLowerCase() === "https",
    sameSite: "Strict",
  } as const);
  const app = new Hono<DashboardEnv>();

  app.use("/admin/*", async function adminHeaders(c, next) {
    await next();
    c.res.headers.set("Content-Security-Policy", ADMIN_CSP);
    c.res.headers.set("X-Content-Type-Options", "nosniff");
    c.res.headers.set("Referrer-Policy", "no-referrer");
    c.res.headers.set("X-Frame-Options", "DENY");
    if (!c.res.headers.has("Cache-Control")) c.res.headers.set("Cache-Control", "no-store");
  });

  const session = async (c: Context) => await sessions.get(getCookie(c, SESSION_COOKIE));
  const audit = (c: Context<DashboardEnv>, type: "admin_login" | "admin_login_failed", reason?: string) =>
    o.audit?.write({
      type,
      subject: "admin-token",
      client_ip: c.var.clientIp,
      ...(reason ? { reason } : {}),
      ...(c.var.requestId ? { "request.id": c.var.requestId } : {}),
    });
  const lockedPage = (c: Context, ms: number) => {
    c.header("Retry-After", String(Math.ceil(ms / 1000)));
    const message = `Too many failed attempts. Please try again in ${waitText(ms)}.`;
    return c.html(<MessagePage title="Locked out" message={message} />, 429);
  };
  const refuse = (c: Context, message: string) =>
    c.html(<MessagePage title="Request refused" message={message} />, 403);
  const loginPage = (c: Context, status: 200 | 401, error?: string) => {
    const csrf = randomToken(24);
    setCookie(c, CSRF_COOKIE, csrf, { ...cookieFor(c), maxAge: 3600 });
    return c.html(<LoginPage csrf={csrf} error={error} />, status);
  };

  /**
   * Same-origin POSTs only: Origin must name this host (or an allowed origin). Under Referrer-Policy
   * no-referrer browsers send `Origin: null` even for same-origin form posts (Fetch §3.2.5), so then
   * the browser-set Sec-Fetch-Site must say same-origin; a request with neither is refused.
   */
  const sameOrigin = (c: Context) => {
    const origin = c.req.header("origin");
    if (origin === undefined || origin === "null") return c.req.header("sec-fetch-site") === "same-origin";
    try {
      const u = new URL(origin);
      return u.host === (c.req.header("host") ?? new URL(c.req.url).host) || origins.has(u.origin);
    } catch {
      return false;
    }
  };

  app.get("/admin", (c) => c.redirect("/admin/", 301));
  app.get("/admin/static/admin.css", (c) => c.body(ADMIN_CSS, 200, { "Content-Type": "text/css; charset=utf-8" }));

  const page =
    (render: (c: Context<DashboardEnv>, csrf: string) => Promise<Response> | Response) =>
    async (c: Context<DashboardEnv>) => {
      const s = await session(c);
      if (!s) return c.req.path === "/admin/" ? loginPage(c, 200) : c.redirect("/admin/", 303);
      return await render(c, s.csrf);
    };
  app.get(
    "/admin/",
    page(async (c, csrf) => {
      const [stats, chart, active] = await Promise.all([
        o.tracker.stats(),
        o.tracker.issuanceSeries(3_600_000, 24),
        o.tracker.certs(),
      ]);
      return c.html(
        <Layout tab="overview" csrf={csrf} stats={stats}>
          <Overview stats={stats} chart={chart} active={active} {...(o.blocks ? { csrf } : {})} />
        </Layout>,
      );
    }),
  );
  app.get(
    "/admin/active",
    page(async (c, csrf) => {
      const [stats, certs] = await Promise.all([o.tracker.stats(), o.tracker.certs()]);
      return c.html(
        <Layout tab="active" csrf={csrf} stats={stats}>
          <ActiveTable certs={certs} {...(o.blocks ? { csrf } : {})} />
        </Layout>,
      );
    }),
  );
  app.get(
    "/admin/failures",
    page(async (c, csrf) => {
      const stats = await o.tracker.stats();
      return c.html(
        <Layout tab="failures" csrf={csrf} stats={stats}>
          <FailuresTable failures={stats.recent_failures} />
        </Layout>,
      );
    }),
  );
  app.get(
    "/admin/audit",
    page(async (c, csrf) => {
      const rows = await readAuditTail(o.auditLogPath ?? "-", o.auditTailLines ?? 100);
      return c.html(
        <Layout tab="audit" csrf={csrf} stats={await o.tracker.stats()}>
          <AuditTail rows={rows} />
        </Layout>,
      );
    }),
  );

  if (o.blocks && o.audit) {
    const [blocks, audit, now] = [o.blocks, o.audit, o.now ?? Date.now];
    dashboardBlockRoutes(app, { blocks, audit, tracker: o.tracker, now, page, sameOrigin, refuse });
  }

  app.post("/admin/login", async function adminLogin(c) {
    if (!sameOrigin(c)) return refuse(c, "Cross-site request refused (Origin check failed)");
    const key = clientKey(c.var.clientIp);
    const locked = await lockout.lockedFor(key); // early and advisory: attempt() below decides
    if (locked > 0) return lockedPage(c, locked);
    const form = await c.req.parseBody();
    const csrf = typeof form.csrf === "string" ? form.csrf : "";
    const expected = getCookie(c, CSRF_COOKIE) ?? "";
    if (!csrf || !expected || !tokensEqual(csrf, expected)) {
      return refuse(
        c,
        "The form has expired or was not sent by this page (CSRF token mismatch). Reload and try again.",
      );
    }
    const token = typeof form.token === "string" ? form.token : "";
    const attempt = await lockout.attempt(key, token !== "" && secretMatches(digest, token));
    if (attempt.outcome === "locked") return lockedPage(c, attempt.retryMs);
    if (attempt.outcome === "failed") {
      audit(c, "admin_login_failed", "wrong admin token");
      return loginPage(c, 401, "Invalid admin token");
    }
    const { id } = await sessions.create();
    deleteCookie(c, CSRF_COOKIE, cookieFor(c));
    setCookie(c, SESSION_COOKIE, id, { ...cookieFor(c), maxAge: 86_400 });
    audit(c, "admin_login");
    return c.redirect("/admin/", 303);
  });

  app.post("/admin/logout", async function adminLogout(c) {
    if (!sameOrigin(c)) return refuse(c, "Cross-site request refused (Origin check failed)");
    const id = getCookie(c, SESSION_COOKIE);
    const s = await sessions.get(id);
    if (s) {
      const form = await c.req.parseBody();
      if (typeof form.csrf !== "string" || !tokensEqual(form.csrf, s.csrf)) {
        return refuse(c, "CSRF token mismatch: reload the dashboard and try again.");
      }
      await sessions.destroy(id);
    }
    deleteCookie(c, SESSION_COOKIE, cookieFor(c));
    return c.redirect("/admin/", 303);
  });
  return app;
}

/** "12 seconds", "1 minute", "15 minutes": how long a locked-out address waits. */
function waitText(ms: number): string {
  const [n, unit] = ms < 60_000 ? [Math.ceil(ms / 1000), "second"] : [Math.ceil(ms / 60_000), "minute"];
  return `${n} ${unit}${n === 1 ? "" : "s"}`;
}
