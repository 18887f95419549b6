/** @module The test IdP's own sign-in page (lists the users), and small HTTP helpers for its interaction routes. */

import type { IncomingMessage, ServerResponse } from "node:http";
import type { IdpUser } from "./idp_users.ts";

/** The login form for interaction `uid`; `mount` is the issuer's path prefix ("" at the root). */
export function sendLoginPage(
  res: ServerResponse,
  uid: string,
  users: Map<string, IdpUser>,
  mount: string,
  error?: string,
): void {
  const rows = [...users.values()].map((u) =>
    `<li><code>${escapeHtml(u.sub)}</code> / <code>${escapeHtml(u.password)}</code> — groups: ${
      escapeHtml((u.groups ?? []).join(", ") || "none")
    }</li>`
  ).join("");
  res.statusCode = error ? 401 : 200;
  res.setHeader("content-type", "text/html; charset=utf-8");
  res.setHeader("cache-control", "no-store");
  res.end(`<!doctype html><html><head><meta charset="utf-8"><title>Test IdP sign-in</title></head><body>
<h1>Sign in to the talosctl-oidc test IdP</h1>
${error ? `<p id="error" style="color:#b00">${escapeHtml(error)}</p>` : ""}
<form method="post" action="${escapeHtml(mount)}/interaction/${escapeHtml(uid)}/login">
<label>User <input id="login" name="login" autofocus></label>
<label>Password <input id="password" name="password" type="password"></label>
<button id="submit" type="submit">Sign in</button>
</form>
<p>Users on this IdP (user / password):</p><ul>${rows}</ul>
</body></html>`);
}

/** The request body as text. */
export function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (c: string) => (body += c));
    req.on("end", () => resolve(body));
    req.on("error", reject);
  });
}

/** Constant-time string comparison (passwords). */
export function timingSafeEqualStr(a: string, b: string): boolean {
  const x = new TextEncoder().encode(a);
  const y = new TextEncoder().encode(b);
  let diff = x.length ^ y.length;
  for (let i = 0; i < Math.max(x.length, y.length); i++) diff |= (x[i] ?? 0) ^ (y[i] ?? 0);
  return diff === 0;
}

/** HTML-escape text for the pages. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
