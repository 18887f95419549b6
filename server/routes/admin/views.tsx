/** @module Dashboard pages as Hono JSX (server-rendered, auto-escaped, no scripts, no inline styles). */

import type { Child } from "hono/jsx";
import type { CertRecord } from "../../admin/cert_record.ts";
import type { FailureRecord, Stats } from "../../admin/tracker.ts";
import type { AuditTailRow } from "./audit_tail.ts";
import { type ChartPoint, IssuanceChart } from "./chart.tsx";
import { BlockButton } from "./blocks_view.tsx";
import { Table, when } from "./table.tsx";

const CSS_PATH = "/admin/static/admin.css";

type Tab = "overview" | "active" | "failures" | "audit" | "blocks";

function Doc(props: { title: string; children: Child }) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="referrer" content="no-referrer" />
        <title>{props.title}</title>
        <link rel="stylesheet" href={CSS_PATH} />
      </head>
      <body>{props.children}</body>
    </html>
  );
}

/** Shell of every signed-in page: header with tabs and the logout form (CSRF token inside). */
export function Layout(props: { tab: Tab; csrf: string; stats: Stats; children: Child }) {
  const tabs: [Tab, string, string][] = [
    ["overview", "Overview", "/admin/"],
    ["active", "Active certificates", "/admin/active"],
    ["failures", "Recent failures", "/admin/failures"],
    ["audit", "Audit log", "/admin/audit"],
    ["blocks", "Blocked", "/admin/blocked"],
  ];
  return (
    <Doc title="Talosctl OIDC Admin Dashboard">
      <header>
        <h1>Talosctl OIDC Admin Dashboard</h1>
        <nav>
          {tabs.map(([id, label, href]) => <a key={id} href={href} class={id === props.tab ? "current" : ""}>{label}
          </a>)}
        </nav>
        <form method="post" action="/admin/logout">
          <input type="hidden" name="csrf" value={props.csrf} />
          <button type="submit" id="logout">Logout</button>
        </form>
      </header>
      <main>{props.children}</main>
      <footer>
        Server online · Started: {props.stats.started_at} · Uptime: {props.stats.uptime} · Page rendered:{" "}
        {new Date().toISOString()}
      </footer>
    </Doc>
  );
}

export function LoginPage(props: { csrf: string; error?: string }) {
  return (
    <Doc title="Admin Login · talosctl-oidc">
      <form class="login" method="post" action="/admin/login">
        <h1>Admin Login</h1>
        <p>Enter your admin token to access the dashboard</p>
        {props.error && <div class="error" role="alert" id="login-error">{props.error}</div>}
        <input type="hidden" name="csrf" value={props.csrf} />
        <label for="token">Admin Token</label>
        <input
          type="password"
          id="token"
          name="token"
          placeholder="Enter your admin token"
          autocomplete="current-password"
          required
          autofocus
        />
        <button type="submit">Sign In</button>
      </form>
    </Doc>
  );
}

/** A plain message page (CSRF refusal, lock-out). */
export function MessagePage(props: { title: string; message: string }) {
  return (
    <Doc title={props.title}>
      <div class="login">
        <h1>{props.title}</h1>
        <div class="error" role="alert" id="message">{props.message}</div>
        <p>
          <a href="/admin/">Back to the sign-in page</a>
        </p>
      </div>
    </Doc>
  );
}

const Roles = (props: { roles: string[] }) => <>{props.roles.map((r) => <span key={r} class="badge">{r}</span>)}</>;
export function Overview(props: { stats: Stats; chart: ChartPoint[]; active: CertRecord[]; csrf?: string }) {
  const s = props.stats;
  const cards: [string, string | number, string][] = [
    ["Uptime", s.uptime, "uptime"],
    ["Active certificates", s.active_certs, "active-certs"],
    ["Total certs issued", s.total_certs_issued, "total-certs"],
    ["Unique users", s.unique_users, "unique-users"],
    ["Auth successes", s.total_auth_successes, "auth-successes"],
    ["Auth failures", s.total_auth_failures, "auth-failures"],
    ["RBAC denials", s.total_rbac_denials, "rbac-denials"],
    ["Cert errors", s.total_cert_errors, "cert-errors"],
    ["Rate limited", s.total_rate_limited, "rate-limited"],
    ["IP denied", s.total_ip_denied, "ip-denied"],
  ];
  return (
    <>
      <div class="cards">
        {cards.map(([label, value, id]) => (
          <div key={id} class="card">
            <div class="label">{label}</div>
            <div class="value" id={id}>{value}</div>
          </div>
        ))}
      </div>
      <section>
        <h2>Certificates issued, last 24 hours (per hour, UTC)</h2>
        <IssuanceChart points={props.chart} title="Certificates issued per hour over the last 24 hours" />
        <p>
          By role: {Object.keys(s.certs_by_role).length === 0
            ? <span class="empty">none yet</span>
            : Object.entries(s.certs_by_role).map(([r, n]) => <span key={r} class="badge">{r}: {n}</span>)}
        </p>
      </section>
      <ActiveTable certs={props.active} csrf={props.csrf} />
    </>
  );
}

/** Issued certificates still valid; with `csrf`, each row has a Block button. */
export function ActiveTable(props: { certs: CertRecord[]; csrf?: string }) {
  return (
    <section>
      <h2>Active certificates</h2>
      {props.certs.length === 0 ? <p class="empty">No active certificates</p> : (
        <Table
          id="active-certs-table"
          head={[
            "Subject",
            "Email",
            "Roles",
            "Client IP",
            "Issued at",
            "Expires at",
            "TTL",
            "Serial",
            props.csrf ? "Block" : null,
          ]}
        >
          {props.certs.map((c) => (
            <tr key={c.serial + c.issued_at}>
              <td>
                <code>{c.subject}</code>
              </td>
              <td>{c.email}</td>
              <td>
                <Roles roles={c.roles} />
              </td>
              <td>
                <code>{c.client_ip}</code>
              </td>
              <td>{when(c.issued_at)}</td>
              <td>{when(c.expires_at)}</td>
              <td>{c.ttl}</td>
              <td>
                <code title={`SHA-256 ${c.fingerprint}`}>{c.serial}</code>
              </td>
              {props.csrf
                ? (
                  <td>
                    <BlockButton csrf={props.csrf} subject={c.subject} email={c.email} />
                  </td>
                )
                : null}
            </tr>
          ))}
        </Table>
      )}
    </section>
  );
}

export function FailuresTable(props: { failures: FailureRecord[] }) {
  return (
    <section>
      <h2>Recent failures</h2>
      {props.failures.length === 0
        ? <p class="empty">No failures recorded since start</p>
        : (
          <Table id="failures-table" head={["Time", "Type", "Subject", "Client IP", "Reason", "Count"]}>
            {props.failures.map((f, i) => (
              <tr key={i}>
                <td>{when(f.timestamp)}</td>
                <td>
                  <span class="badge fail">{f.type}</span>
                </td>
                <td>
                  <code>{f.subject ?? ""}</code>
                </td>
                <td>
                  <code>{f.client_ip ?? ""}</code>
                </td>
                <td>{[f.reason, f.error].filter(Boolean).join(": ")}</td>
                <td>{String(f.count ?? 1)}</td>
              </tr>
            ))}
          </Table>
        )}
    </section>
  );
}

export function AuditTail(props: { rows: AuditTailRow[] | undefined }) {
  return (
    <section>
      <h2>Audit log (newest first)</h2>
      {props.rows === undefined
        ? (
          <p class="empty">
            The audit log goes to stdout (audit_log "-") or cannot be read, so there is no tail to show.
          </p>
        )
        : props.rows.length === 0
        ? <p class="empty">The audit log is empty</p>
        : (
          <Table id="audit-table" head={["Time", "Type", "Subject", "Client IP", "Roles", "Reason", "Hash"]}>
            {props.rows.map((r, i) => (
              <tr key={i}>
                <td>{when(r.timestamp)}</td>
                <td>{r.type}</td>
                <td>
                  <code>{r.subject ?? ""}</code>
                </td>
                <td>
                  <code>{r.client_ip ?? ""}</code>
                </td>
                <td>
                  <Roles roles={r.roles ?? []} />
                </td>
                <td>{r.reason ?? ""}</td>
                <td>
                  <code title={r.hash}>{r.hash?.slice(0, 12) ?? ""}</code>
                </td>
              </tr>
            ))}
          </Table>
        )}
    </section>
  );
}
