/**
 * @module The test (and demo) IdP's own pages: sign-in (lists the users), the device flow's code, confirm and success
 * pages, sign-out and errors, all in the look of the login callback page (client/oidc/callback_page.ts PAGE_STYLE),
 * and small HTTP helpers for its interaction routes. Supplying every page also keeps oidc-provider from printing its
 * "you SHOULD change it" notices.
 */

import type { IncomingMessage, ServerResponse } from "node:http";
import { PAGE_STYLE } from "../../client/oidc/callback_page.ts";
import type { IdpUser } from "./idp_users.ts";

/** A whole page in the shared look; `body` is trusted HTML (escape what you put in it). */
export function idpPage(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} - talosctl-oidc demo IdP</title>
<style>
${PAGE_STYLE}
</style></head>
<body><main>
${body}
</main></body></html>
`;
}

// deno-lint-ignore no-explicit-any
type Ctx = any;

/**
 * oidc-provider's page hooks (features.deviceFlow.*Source, rpInitiatedLogout.*Source, renderError), keeping the forms
 * oidc-provider hands in (hidden xsrf fields; the buttons name the form they submit).
 */
export const IDP_PAGE_SOURCES = {
  userCodeInputSource(ctx: Ctx, form: string, _out: unknown, err?: { name?: string; userCode?: string }) {
    const msg = err
      ? `<p id="error" class="error">${
        err.userCode || err.name === "NoCodeError"
          ? "The code you entered is incorrect. Try again."
          : err.name === "AbortedError"
          ? "The sign-in request was interrupted."
          : "There was an error processing your request."
      }</p>`
      : "<p>Enter the code shown in your terminal.</p>";
    ctx.body = idpPage(
      "Device sign-in",
      `<h1>Sign in a device</h1>\n${msg}\n${form}\n` +
        `<button id="submit" type="submit" form="op.deviceInputForm">Continue</button>`,
    );
  },
  userCodeConfirmSource(ctx: Ctx, form: string, _client: unknown, _info: unknown, userCode: string) {
    const client = escapeHtml(String(ctx.oidc.client.clientName ?? ctx.oidc.client.clientId));
    ctx.body = idpPage(
      "Confirm device",
      `<h1>Confirm the device</h1>\n<p><strong>${client}</strong> asks to sign in. Your terminal should show this ` +
        `code:</p>\n<p><code id="user-code">${escapeHtml(userCode)}</code></p>\n${form}\n` +
        `<button id="submit" type="submit" form="op.deviceConfirmForm">Continue</button>\n` +
        `<button class="secondary" type="submit" form="op.deviceConfirmForm" value="yes" name="abort">Abort</button>`,
    );
  },
  successSource(ctx: Ctx) {
    ctx.body = idpPage(
      "Signed in",
      `<h1 style="color:#1a7f37">Device signed in</h1>\n<p>You can close this page and return to your terminal.</p>`,
    );
  },
  logoutSource(ctx: Ctx, form: string) {
    ctx.body = idpPage(
      "Sign out",
      `<h1>Sign out of the demo IdP?</h1>\n${form}\n` +
        `<button id="submit" type="submit" form="op.logoutForm" value="yes" name="logout">Yes, sign me out</button>\n` +
        `<button class="secondary" type="submit" form="op.logoutForm">No, stay signed in</button>`,
    );
  },
  postLogoutSuccessSource(ctx: Ctx) {
    ctx.body = idpPage("Signed out", `<h1>Signed out</h1>\n<p>You are signed out of the demo IdP.</p>`);
  },
  renderError(ctx: Ctx, out: Record<string, string>) {
    ctx.type = "html";
    ctx.body = idpPage(
      "IdP error",
      `<h1 style="color:#cf222e">IdP error</h1>\n<p id="message">${escapeHtml(out.error ?? "error")}${
        out.error_description ? `: ${escapeHtml(out.error_description)}` : ""
      }</p>\n<pre id="error">${escapeHtml(JSON.stringify(out))}</pre>`,
    );
  },
};

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
  res.end(idpPage(
    "Sign in",
    `<h1>Sign in to the demo IdP</h1>
${error ? `<p id="error" class="error">${escapeHtml(error)}</p>` : ""}
<form method="post" action="${escapeHtml(mount)}/interaction/${escapeHtml(uid)}/login">
<label>User <input id="login" name="login" autofocus></label>
<label>Password <input id="password" name="password" type="password"></label>
<button id="submit" type="submit">Sign in</button>
</form>
<p>Users on this IdP (user / password):</p><ul>${rows}</ul>`,
  ));
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
